/// The filter side of `Winograd`: U = G g Gᵀ for the forward pass and the filter gradient Gᵀ dU G.
extension Winograd {
    /// dw[o][c] += Gᵀ dU[·][o][c] G (the 4×4 transform-point gradient back to the 3×3 filter). O(16·Cout·Cin).
    static func accumulateFilterGradients(
        _ du: UnsafePointer<Float>, outChannels: Int, inChannels: Int, into dw: UnsafeMutablePointer<Float>
    ) {
        let plane = outChannels &* inChannels
        Compute.parallelFor(outChannels, costPerItem: inChannels &* 64) { range in
            for o in range {
                for c in 0..<inChannels {
                    let src = du + (o &* inChannels &+ c)
                    func u(_ i: Int, _ j: Int) -> Float { src[(i &* 4 &+ j) &* plane] }
                    // Gᵀ over the rows (t0 = u0 + (u1 + u2)/2, t1 = (u1 − u2)/2, t2 = (u1 + u2)/2 + u3), column j.
                    func column(_ j: Int) -> (Float, Float, Float) {
                        let u0 = u(0, j), u1 = u(1, j), u2 = u(2, j), u3 = u(3, j)
                        return (u0 + 0.5 * (u1 + u2), 0.5 * (u1 - u2), 0.5 * (u1 + u2) + u3)
                    }
                    let c0 = column(0), c1 = column(1), c2 = column(2), c3 = column(3)
                    let dst = dw + (o &* inChannels &+ c) &* 9
                    // (·)G over each row's four columns, the same combination.
                    func row(_ r: Int, _ a0: Float, _ a1: Float, _ a2: Float, _ a3: Float) {
                        dst[r &* 3] += a0 + 0.5 * (a1 + a2)
                        dst[r &* 3 &+ 1] += 0.5 * (a1 - a2)
                        dst[r &* 3 &+ 2] += 0.5 * (a1 + a2) + a3
                    }
                    row(0, c0.0, c1.0, c2.0, c3.0)
                    row(1, c0.1, c1.1, c2.1, c3.1)
                    row(2, c0.2, c1.2, c2.2, c3.2)
                }
            }
        }
    }

    /// U[ξ][o][c] = (G g Gᵀ)[ξ] for each filter g = w[o][c] (`[outChannels, inChannels, 3, 3]`). O(16·Cout·Cin).
    static func transformFilters(
        _ w: UnsafePointer<Float>, outChannels: Int, inChannels: Int, into u: UnsafeMutablePointer<Float>
    ) {
        let plane = outChannels &* inChannels
        Compute.parallelFor(outChannels, costPerItem: inChannels &* 64) { range in
            for o in range {
                for c in 0..<inChannels {
                    let src = w + (o &* inChannels &+ c) &* 9
                    func g(_ i: Int, _ j: Int) -> Float { src[i &* 3 &+ j] }
                    let dst = u + (o &* inChannels &+ c)
                    // Column j of Gg (4×3): g0j, (g0j + g1j + g2j)/2, (g0j − g1j + g2j)/2, g2j; then each of its rows
                    // times Gᵀ, the same combination over the row's three entries.
                    func row(_ i: Int, _ a0: Float, _ a1: Float, _ a2: Float) {
                        dst[(i &* 4) &* plane] = a0
                        dst[(i &* 4 &+ 1) &* plane] = 0.5 * (a0 + a1 + a2)
                        dst[(i &* 4 &+ 2) &* plane] = 0.5 * (a0 - a1 + a2)
                        dst[(i &* 4 &+ 3) &* plane] = a2
                    }
                    let (g00, g01, g02) = (g(0, 0), g(0, 1), g(0, 2))
                    let (g10, g11, g12) = (g(1, 0), g(1, 1), g(1, 2))
                    let (g20, g21, g22) = (g(2, 0), g(2, 1), g(2, 2))
                    row(0, g00, g01, g02)
                    row(1, 0.5 * (g00 + g10 + g20), 0.5 * (g01 + g11 + g21), 0.5 * (g02 + g12 + g22))
                    row(2, 0.5 * (g00 - g10 + g20), 0.5 * (g01 - g11 + g21), 0.5 * (g02 - g12 + g22))
                    row(3, g20, g21, g22)
                }
            }
        }
    }
}
