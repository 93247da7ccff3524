/// Max pooling over `[C, B, H, W]` with a square window (ResNet's stem uses kernel 3, stride 2, padding 1).
/// Padding counts as −∞; ties keep the first maximum in row-major window order (as PyTorch). Caches the
/// arg-max of each output for backward, which scatters the gradient there. O(C·B·Ho·Wo·k²).
public final class MaxPool2d: Layer {
    public let kernel: Int, stride: Int, padding: Int
    private var inputShape: [Int] = []
    private var argmax: [Int32] = []

    public init(kernel: Int = 3, stride: Int = 2, padding: Int = 1) {
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }

    public func outputSize(_ n: Int) -> Int { (n + 2 * padding - kernel) / stride + 1 }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.rank == 4, "MaxPool2d expects [C, B, H, W], got \(x.shape)")
        let planes = x.shape[0] * x.shape[1], h = x.shape[2], w = x.shape[3]
        let ho = outputSize(h), wo = outputSize(w)
        let k = kernel, s = stride, p = padding
        inputShape = x.shape
        if argmax.count != planes * ho * wo { argmax = [Int32](repeating: 0, count: planes * ho * wo) }
        return x.withUnsafeBufferPointer { xb in
            argmax.withUnsafeMutableBufferPointer { ab in
                Tensor(shape: [x.shape[0], x.shape[1], ho, wo]) { yb in
                    Compute.parallelFor(planes, costPerItem: ho * wo * k * k) { range in
                        for plane in range {
                            let src = xb.baseAddress! + plane &* h &* w
                            let dst = yb.baseAddress! + plane &* ho &* wo
                            let arg = ab.baseAddress! + plane &* ho &* wo
                            for oy in 0..<ho {
                                let y0 = max(0, oy &* s &- p), y1 = min(h, oy &* s &- p &+ k)
                                let threeRows = k == 3 && y1 &- y0 == 3
                                for ox in 0..<wo {
                                    let left = ox &* s &- p
                                    if threeRows && left >= 0 && left &+ 3 <= w {
                                        // A 3×3 window wholly inside (ResNet's): unrolled, the same comparisons in
                                        // the same order as the general loop below.
                                        let at0 = y0 &* w &+ left
                                        var best = -Float.infinity
                                        var at = at0
                                        for r in 0..<3 {
                                            for c in 0..<3 {
                                                let i = at0 &+ r &* w &+ c
                                                let v = src[i]
                                                if v > best || v.isNaN {
                                                    best = v
                                                    at = i
                                                }
                                            }
                                        }
                                        dst[oy &* wo &+ ox] = best
                                        arg[oy &* wo &+ ox] = Int32(truncatingIfNeeded: at)
                                        continue
                                    }
                                    let x0 = max(0, left), x1 = min(w, left &+ k)
                                    var best = -Float.infinity
                                    var at = y0 &* w &+ x0
                                    for iy in y0..<y1 {
                                        for ix in x0..<x1 {
                                            let v = src[iy &* w &+ ix]
                                            if v > best || v.isNaN {
                                                best = v
                                                at = iy &* w &+ ix
                                            }
                                        }
                                    }
                                    dst[oy &* wo &+ ox] = best
                                    arg[oy &* wo &+ ox] = Int32(truncatingIfNeeded: at)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let planes = inputShape[0] * inputShape[1], h = inputShape[2], w = inputShape[3]
        let per = dOut.count / max(planes, 1)
        precondition(
            dOut.count == argmax.count, "MaxPool2d.backward: gradient \(dOut.shape) does not match the last forward")
        return dOut.withUnsafeBufferPointer { db in
            argmax.withUnsafeBufferPointer { ab in
                Tensor(shape: inputShape) { dxb in
                    Compute.parallelFor(planes, costPerItem: h * w) { range in
                        for plane in range {
                            let dst = dxb.baseAddress! + plane &* h &* w
                            dst.update(repeating: 0, count: h * w)
                            let src = db.baseAddress! + plane &* per
                            let arg = ab.baseAddress! + plane &* per
                            for i in 0..<per { dst[Int(arg[i])] += src[i] }
                        }
                    }
                }
            }
        }
    }
}

/// Global average pooling from the channel-major `[C, B, H, W]` to the batch-major `[B, C]` a dense head takes.
/// Backward spreads each gradient evenly over its H·W positions. O(C·B·H·W).
public final class GlobalAveragePool: Layer {
    private var inputShape: [Int] = []

    public init() {}

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.rank == 4, "GlobalAveragePool expects [C, B, H, W], got \(x.shape)")
        let c = x.shape[0], b = x.shape[1], hw = x.shape[2] * x.shape[3]
        inputShape = x.shape
        let inv = 1 / Float(hw)
        return x.withUnsafeBufferPointer { xb in
            Tensor(shape: [b, c]) { yb in
                for ci in 0..<c {
                    for bi in 0..<b {
                        let src = xb.baseAddress! + (ci &* b &+ bi) &* hw
                        var s: Float = 0
                        for i in 0..<hw { s += src[i] }
                        yb[bi &* c &+ ci] = s * inv
                    }
                }
            }
        }
    }

    public func backward(_ dOut: Tensor) -> Tensor {
        let c = inputShape[0], b = inputShape[1], hw = inputShape[2] * inputShape[3]
        precondition(
            dOut.shape == [b, c], "GlobalAveragePool.backward: gradient \(dOut.shape) does not match the last forward")
        let inv = 1 / Float(hw)
        return dOut.withUnsafeBufferPointer { db in
            Tensor(shape: inputShape) { dxb in
                for ci in 0..<c {
                    for bi in 0..<b {
                        (dxb.baseAddress! + (ci &* b &+ bi) &* hw).update(repeating: db[bi &* c &+ ci] * inv, count: hw)
                    }
                }
            }
        }
    }
}
