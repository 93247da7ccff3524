/// Non-overlapping square patches of a batch of images as GEMM rows: the patch embedding of ViT towers is then one
/// matrix product with the convolution's weight.
enum PatchColumns {
    /// Images `[B, 3, S, S]` → `[B·G², 3·P·P]` (G = S/P), patch rows in row-major grid order, each row in (channel,
    /// row, column) order — the layout of a `[W, 3, P, P]` convolution weight. O(B·3·S²), copies only.
    static func columns(_ images: Tensor, imageSize s: Int, patch p: Int) -> Tensor {
        let b = images.shape[0], g = s / p, k = 3 * p * p
        return images.withUnsafeBufferPointer { ip in
            Tensor(shape: [b * g * g, k]) { cp in
                for item in 0..<b {
                    for gy in 0..<g {
                        for gx in 0..<g {
                            var dst = cp.baseAddress! + ((item &* g &+ gy) &* g &+ gx) &* k
                            for ch in 0..<3 {
                                let plane = (item &* 3 &+ ch) &* s
                                for y in 0..<p {
                                    dst.update(
                                        from: ip.baseAddress! + ((plane &+ gy &* p &+ y) &* s &+ gx &* p), count: p)
                                    dst += p
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The token matrices of ViT towers and the bias-free output projection of CLIP's towers, shared by CLIP's
/// `VisionTower`, `TextTower` and BiomedCLIP's `TimmViTImageTower`.
enum TowerMath {
    /// Lays down one image's token rows `[T, W]` at `base`: row 0 = cls + pos[0], row t = patch(t) + pos[t], where
    /// `patch(t)` points at the W values of patch t − 1 (or a bias row). O(T·W).
    static func tokens(
        at base: UnsafeMutablePointer<Float>, count tokens: Int, width w: Int, classToken cls: UnsafePointer<Float>,
        positions pos: UnsafePointer<Float>, patch: (Int) -> UnsafePointer<Float>
    ) {
        for j in 0..<w { base[j] = cls[j] + pos[j] }
        for t in 1..<tokens {
            let dst = base + t &* w, src = patch(t), pr = pos + t &* w
            for j in 0..<w { dst[j] = src[j] + pr[j] }
        }
    }

    /// Row 0 (the class token) of every item of `hidden [B, T, W]`: `[B, W]`.
    static func classRows(_ hidden: Tensor, tokens: Int, width w: Int) -> Tensor {
        let b = hidden.shape[0]
        return hidden.withUnsafeBufferPointer { hp in
            Tensor(shape: [b, w]) { fp in
                for item in 0..<b {
                    (fp.baseAddress! + item &* w).update(from: hp.baseAddress! + item &* tokens &* w, count: w)
                }
            }
        }
    }

    /// `x [B, W] · P [W, E]`, P stored as open_clip stores `proj`.
    static func project(_ x: Tensor, _ p: ParameterRef, store: ParameterStore) -> Tensor {
        let b = x.shape[0], w = p.shape[0], e = p.shape[1]
        return x.withUnsafeBufferPointer { xp in
            Tensor(shape: [b, e]) { op in
                BLAS.gemm(m: b, n: e, k: w, a: xp.baseAddress!, b: store.value(p), c: op.baseAddress!)
            }
        }
    }

    /// The backward pass of `project`: accumulates ∂P += xᵀ·dy when P trains and returns ∂x = dy·Pᵀ `[B, W]`.
    static func projectBackward(_ dy: Tensor, input x: Tensor, _ p: ParameterRef, store: ParameterStore) -> Tensor {
        let b = x.shape[0], w = p.shape[0], e = p.shape[1]
        return dy.withUnsafeBufferPointer { dp in
            if store.isTrainable(p) {
                x.withUnsafeBufferPointer { xp in
                    BLAS.gemm(
                        transA: true, m: w, n: e, k: b, a: xp.baseAddress!, b: dp.baseAddress!, beta: 1,
                        c: store.grad(p))
                }
            }
            return Tensor(shape: [b, w]) { op in
                BLAS.gemm(transB: true, m: b, n: w, k: e, a: dp.baseAddress!, b: store.value(p), c: op.baseAddress!)
            }
        }
    }
}
