import Foundation

/// Element-wise GELU variants. `.quick` is CLIP's QuickGELU, x·σ(1.702x); `.erf` is the exact GELU,
/// ½x(1 + erf(x/√2)) (torch.nn.GELU()). Caches its input for `backward`. O(count).
public final class GELU: Layer {
    public enum Kind: String, Sendable { case quick, erf }
    public let kind: Kind
    private var input = Tensor(shape: [0])

    public init(_ kind: Kind = .quick) { self.kind = kind }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        if training { input = x }
        return x.withUnsafeBufferPointer { xp in
            Tensor(shape: x.shape) { yp in
                switch kind {
                case .quick:
                    // Eight lanes at a time on SoftmaxKernel's polynomial exp (a few ulps from expf), the tail
                    // through the same lanes, so every element gets the same bits wherever a thread's chunk
                    // starts. The exponent is capped at 88, where x·σ(1.702x) is already 0 to float precision.
                    let x0 = xp.baseAddress!, y0 = yp.baseAddress!
                    Compute.parallelFor(xp.count, costPerItem: 8) { range in
                        var i = range.lowerBound
                        while i &+ 8 <= range.upperBound {
                            SoftmaxKernel.store(
                                Self.quick(SoftmaxKernel.load(UnsafeMutablePointer(mutating: x0 + i))), y0 + i)
                            i &+= 8
                        }
                        if i < range.upperBound {
                            var v = SIMD8<Float>(repeating: 0)
                            for k in i..<range.upperBound { v[k &- i] = x0[k] }
                            let y = Self.quick(v)
                            for k in i..<range.upperBound { y0[k] = y[k &- i] }
                        }
                    }
                case .erf:
                    Compute.parallelFor(xp.count, costPerItem: 8) { range in
                        for i in range { let v = xp[i]; yp[i] = 0.5 * v * (1 + erff(v * 0.707_106_77)) }
                    }
                }
            }
        }
    }

    /// x·σ(1.702x) per lane.
    @inline(__always)
    static func quick(_ v: SIMD8<Float>) -> SIMD8<Float> {
        let z = v * -1.702
        return v / (1 + SoftmaxKernel.exp(z.replacing(with: 88, where: z .> 88)))
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        precondition(dOut.count == input.count, "GELU.backward: gradient \(dOut.shape) does not match the last forward")
        return input.withUnsafeBufferPointer { xp in
            dOut.withUnsafeBufferPointer { dyp in
                Tensor(shape: input.shape) { dxp in
                    switch kind {
                    case .quick:
                        Compute.parallelFor(xp.count, costPerItem: 8) { range in
                            for i in range {
                                let v = xp[i], s = 1 / (1 + expf(-1.702 * v))
                                dxp[i] = dyp[i] * (s + 1.702 * v * s * (1 - s))
                            }
                        }
                    case .erf:
                        for i in 0..<xp.count {
                            let v = xp[i]
                            let cdf = 0.5 * (1 + erff(v * 0.707_106_77))
                            let pdf = expf(-0.5 * v * v) * 0.398_942_3
                            dxp[i] = dyp[i] * (cdf + v * pdf)
                        }
                    }
                }
            }
        }
    }
}

/// Element-wise helpers of the CLIP layers.
enum TensorMath {
    /// a + b (same shapes). O(count).
    static func add(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.count == b.count, "cannot add \(a.shape) and \(b.shape)")
        return a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                Tensor(shape: a.shape) { cp in
                    Compute.parallelFor(ap.count) { range in for i in range { cp[i] = ap[i] + bp[i] } }
                }
            }
        }
    }
}
