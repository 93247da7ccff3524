/// Elementwise max(0, x). Caches its output; backward passes the gradient where the output is positive. O(n).
public final class ReLU: Layer {
    private var output = Tensor(shape: [0])

    public init() {}

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let y = x.withUnsafeBufferPointer { src in
            Tensor(shape: x.shape) { dst in
                Compute.parallelFor(dst.count) { r in for i in r { dst[i] = max(src[i], 0) } }
            }
        }
        if training { output = y }
        return y
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        precondition(
            dOut.count == output.count, "ReLU.backward: gradient \(dOut.shape) does not match the last forward")
        return output.withUnsafeBufferPointer { y in
            dOut.withUnsafeBufferPointer { d in
                Tensor(shape: dOut.shape) { dx in
                    Compute.parallelFor(dx.count) { r in for i in r { dx[i] = y[i] > 0 ? d[i] : 0 } }
                }
            }
        }
    }
}
