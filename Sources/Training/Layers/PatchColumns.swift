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
