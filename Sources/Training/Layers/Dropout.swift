/// Inverted dropout: in training each element is zeroed with probability `p` and the rest scaled by 1/(1−p);
/// in evaluation it is the identity. The mask comes from the layer's own seeded generator, so a run is
/// reproducible from its seed. O(n).
public final class Dropout: Layer {
    public let p: Float
    private var generator: SeededGenerator
    private var mask: [Float] = []

    public init(p: Float, seed: UInt64) {
        precondition(p >= 0 && p < 1, "dropout probability must be in [0, 1), got \(p)")
        self.p = p
        generator = SeededGenerator(seed: seed)
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        guard training, p > 0 else { return x }
        let scale = 1 / (1 - p)
        mask = [Float](unsafeUninitializedCapacity: x.count) { m, n in
            for i in 0..<x.count { m[i] = generator.nextUniform() < p ? 0 : scale }
            n = x.count
        }
        var y = x
        y.withUnsafeMutableBufferPointer { yp in
            for i in 0..<yp.count { yp[i] *= mask[i] }
        }
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        guard p > 0 else { return dOut }
        precondition(
            dOut.count == mask.count, "Dropout.backward: gradient \(dOut.shape) does not match the last forward")
        var dx = dOut
        dx.withUnsafeMutableBufferPointer { d in
            mask.withUnsafeBufferPointer { m in
                for i in 0..<d.count { d[i] *= m[i] }
            }
        }
        return dx
    }
}
