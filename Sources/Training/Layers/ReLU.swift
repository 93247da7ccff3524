/// Elementwise max(0, x). Caches its output; backward passes the gradient where the output is positive. O(n).
public final class ReLU: Layer {
    private var output = Tensor(shape: [0])

    public init() {}

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        var y = x
        y.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count where p[i] < 0 { p[i] = 0 }
        }
        if training { output = y }
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        precondition(dOut.count == output.count, "ReLU.backward: gradient \(dOut.shape) does not match the last forward")
        var dx = dOut
        output.withUnsafeBufferPointer { y in
            dx.withUnsafeMutableBufferPointer { d in
                for i in 0..<d.count where y[i] <= 0 { d[i] = 0 }
            }
        }
        return dx
    }
}
