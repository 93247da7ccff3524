import Foundation

/// 3×3 stride-1 pad-1 convolutions by Winograd's minimal filtering F(2×2, 3×3) (Lavin and Gray's formulation), in
/// the channel-major layout `[C, B, H, W]` of `Conv2d`. Fast mode only: the products are re-associated, so the bits
/// differ from the im2col path (by float rounding; the tests bound it by 1e-5 of a direct sum in Double).
///
/// Each 2×2 output tile reads a 4×4 input tile d. Per tile and channel the input transform `V = Bᵀ d B` gives 16
/// values, per filter `U = G g Gᵀ` gives 16; the 16 transform points ξ are independent matrix products
/// `M[ξ] = U[ξ] · V[ξ]` (`[Cout, Cin] · [Cin, tiles]`, one GEMM each), and the output transform `Y = Aᵀ M A` turns
/// the 16 values back into the 2×2 tile:
///
///     Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]   G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]   Aᵀ = [1 1 1 0; 0 1 −1 −1]
///
/// 16 multiplies per tile and channel pair instead of 36, so the GEMM work is 4/9 of im2col's (4/9·1.3 at 7×7, where
/// half-empty edge tiles are wasted). The input gradient of the same convolution is again a 3×3 stride-1 pad-1
/// convolution of the output gradient, with each filter rotated by 180° and its two channel axes swapped
/// (`convolve(rotated: true)`), so it runs through the same transforms.
///
/// The input and output transforms run over whole rows of tiles with 8-lane vectors: each padded input row is stored
/// split into its even and odd columns, so the four columns of consecutive tiles are four unit-stride runs.
enum Winograd {
    /// Transform points per tile (4×4).
    static let points = 16

    /// Whether fast mode may take this path at all: yes unless the environment sets `PAIRDX_WINOGRAD=off` (read once;
    /// it times the im2col path of the same build, e.g. `PAIRDX_WINOGRAD=off pairdx bench train --mode fast`).
    static let enabled = ProcessInfo.processInfo.environment["PAIRDX_WINOGRAD"] != "off"

    /// Whether a convolution of this geometry can run here: 3×3 kernel, stride 1, padding 1.
    static func applies(kernel: Int, stride: Int, padding: Int) -> Bool {
        kernel == 3 && stride == 1 && padding == 1
    }

    /// The tiling of one `[C, B, H, W]` tensor (output extent = input extent for 3×3 stride-1 pad-1).
    struct Tiling {
        let batch: Int, height: Int, width: Int
        /// Tiles per column and per row of an image: ⌈H/2⌉, ⌈W/2⌉.
        var tilesHigh: Int { (height + 1) / 2 }
        var tilesWide: Int { (width + 1) / 2 }
        /// Tiles of the whole batch: the column count of every transform-point matrix, in (item, tile row, tile
        /// column) order.
        var tiles: Int { batch * tilesHigh * tilesWide }
    }

    /// Floats of scratch `convolve` takes from the workspace.
    static func scratchCount(inChannels: Int, outChannels: Int, tiling: Tiling) -> Int {
        points * (outChannels * inChannels + (inChannels + outChannels) * tiling.tiles)
    }

    /// y[o] = Σ_c x[c] ⋆ w[o][c] over `[inChannels, B, H, W]` → `[outChannels, B, H, W]` (3×3, stride 1, pad 1),
    /// then `+ residual` when given. `weights` is `[outChannels, inChannels, 3, 3]`, or with `rotated` the weight of
    /// the forward convolution `[inChannels, outChannels, 3, 3]` whose input gradient this is (each 3×3 filter turned
    /// by 180°, the channel axes swapped). `transformedFilters`, when given, is `transformFilters` of those weights
    /// already computed (of the forward convolution's `[outChannels, inChannels]` when `rotated`), e.g. kept from
    /// the forward pass for the input gradient. The scratch comes from `workspace` (earlier pointers from it are
    /// invalid afterwards). O(16·Cout·Cin·tiles) in 16 GEMMs (`BLAS.gemmGroup`), plus O((Cin + Cout)·B·H·W) for the
    /// transforms.
    static func convolve(
        _ x: UnsafePointer<Float>, inChannels: Int, outChannels: Int, tiling t: Tiling,
        weights: UnsafePointer<Float>, rotated: Bool, workspace: Workspace,
        into y: UnsafeMutablePointer<Float>, adding residual: UnsafePointer<Float>? = nil,
        transformedFilters: UnsafePointer<Float>? = nil
    ) {
        let tiles = t.tiles
        let scratch = workspace.floats(scratchCount(inChannels: inChannels, outChannels: outChannels, tiling: t))
        let v = scratch + points &* outChannels &* inChannels
        let m = v + points &* inChannels &* tiles
        transformInput(x, channels: inChannels, tiling: t, into: v)
        let plane = outChannels &* inChannels
        let u: UnsafePointer<Float>
        if let transformedFilters {
            u = transformedFilters
        } else {
            transformFilters(
                weights, outChannels: rotated ? inChannels : outChannels,
                inChannels: rotated ? outChannels : inChannels,
                into: scratch)
            u = UnsafePointer(scratch)
        }
        if rotated {
            // G·rot180(g)·Gᵀ = Π (G g Gᵀ) Πᵀ, Π swapping rows 0 and 3 (G's rows reversed are G's rows 3, 1, 2, 0):
            // the forward convolution's U at the mirrored point, transposed inside the GEMM.
            func mirrored(_ k: Int) -> Int { k == 0 ? 3 : k == 3 ? 0 : k }
            BLAS.gemmGroup(points, transA: true, m: outChannels, n: tiles, k: inChannels) { xi in
                let source = mirrored(xi >> 2) &* 4 &+ mirrored(xi & 3)
                let b: UnsafePointer<Float> = UnsafePointer(v + xi &* inChannels &* tiles)
                let c: UnsafeMutablePointer<Float> = m + xi &* outChannels &* tiles
                return (u + source &* plane, b, c)
            }
        } else {
            BLAS.gemmGroup(points, m: outChannels, n: tiles, k: inChannels) { xi in
                let b: UnsafePointer<Float> = UnsafePointer(v + xi &* inChannels &* tiles)
                let c: UnsafeMutablePointer<Float> = m + xi &* outChannels &* tiles
                return (u + xi &* plane, b, c)
            }
        }
        transformOutput(m, channels: outChannels, tiling: t, into: y, adding: residual)
    }

    /// Floats of scratch `accumulateWeightGradient` takes from the workspace.
    static func weightGradientScratchCount(inChannels: Int, outChannels: Int, tiling: Tiling) -> Int {
        scratchCount(inChannels: inChannels, outChannels: outChannels, tiling: tiling)
    }

    /// dW[o][c] += ∂loss/∂w[o][c] of `convolve` (not rotated) for input x `[inChannels, B, H, W]` and output gradient
    /// dy `[outChannels, B, H, W]`. With U = G g Gᵀ, V = Bᵀ d B and y = Aᵀ (U ⊙ V) A per tile, the gradient of U is
    /// Σ over tiles of (A dy Aᵀ) ⊙ V, and that of g is Gᵀ (that) G: 16 GEMMs `[Cout, tiles] · [tiles, Cin]`, then the
    /// filter-gradient transform. O(16·Cout·Cin·tiles).
    static func accumulateWeightGradient(
        input x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>, inChannels: Int, outChannels: Int,
        tiling t: Tiling, workspace: Workspace, into dw: UnsafeMutablePointer<Float>
    ) {
        let tiles = t.tiles
        let scratch = workspace.floats(
            weightGradientScratchCount(inChannels: inChannels, outChannels: outChannels, tiling: t))
        let du = scratch
        let v = du + points &* outChannels &* inChannels
        let z = v + points &* inChannels &* tiles
        transformInput(x, channels: inChannels, tiling: t, into: v)
        transformOutputGradient(dy, channels: outChannels, tiling: t, into: z)
        BLAS.gemmGroup(points, transB: true, m: outChannels, n: inChannels, k: tiles) { xi in
            let a: UnsafePointer<Float> = UnsafePointer(z + xi &* outChannels &* tiles)
            let b: UnsafePointer<Float> = UnsafePointer(v + xi &* inChannels &* tiles)
            let c: UnsafeMutablePointer<Float> = du + xi &* outChannels &* inChannels
            return (a, b, c)
        }
        accumulateFilterGradients(du, outChannels: outChannels, inChannels: inChannels, into: dw)
    }

    /// Z[ξ][o][tile] = (A e Aᵀ)[ξ] for every 2×2 tile e of the output gradient (zero past the image's edge), with
    /// A = Aᵀᵀ (4×2). Channels are split over the compute threads. O(C·B·H·W).
    static func transformOutputGradient(
        _ dy: UnsafePointer<Float>, channels: Int, tiling t: Tiling, into z: UnsafeMutablePointer<Float>
    ) {
        let h = t.height, w = t.width, th = t.tilesHigh, tw = t.tilesWide
        let tiles = t.tiles, pointStride = channels &* tiles
        Compute.parallelFor(channels, costPerItem: t.batch &* h &* w &* 4) { range in
            // The tile row's two gradient rows, each as even then odd columns (zero past the edge).
            let rowsBuffer = UnsafeMutablePointer<Float>.allocate(capacity: 4 &* tw)
            defer { rowsBuffer.deallocate() }
            rowsBuffer.initialize(repeating: 0, count: 4 &* tw)
            for c in range {
                var dst = z + c &* tiles
                for b in 0..<t.batch {
                    let plane = dy + (c &* t.batch &+ b) &* h &* w
                    for ty in 0..<th {
                        for r in 0..<2 {
                            let even = rowsBuffer + (2 &* r) &* tw, odd = even + tw
                            let oy = 2 &* ty &+ r
                            if oy >= h {
                                even.update(repeating: 0, count: 2 &* tw)
                                continue
                            }
                            let line = plane + oy &* w
                            var k = Winograd.split(line, width: w, even: even, odd: odd)
                            while 2 &* k &+ 1 < w {
                                even[k] = line[2 &* k]
                                odd[k] = line[2 &* k &+ 1]
                                k &+= 1
                            }
                            if 2 &* k < w { even[k] = line[2 &* k] }  // odd[k] stays zero: w is the same each row
                        }
                        var tx = 0
                        while tx &+ 8 <= tw {
                            gradientTiles(SIMD8<Float>.self, rowsBuffer + tx, tw, dst + tx, pointStride)
                            tx &+= 8
                        }
                        while tx < tw {
                            gradientTiles(Float.self, rowsBuffer + tx, tw, dst + tx, pointStride)
                            tx &+= 1
                        }
                        dst += tw
                    }
                }
            }
        }
    }

    /// A e Aᵀ of `L.lanes` consecutive 2×2 tiles (row r's even and odd columns at `rows + (2r)·tw` and
    /// `rows + (2r + 1)·tw`); writes transform point ξ at `dst + ξ·pointStride`.
    @inline(__always)
    private static func gradientTiles<L: WinogradLanes>(
        _: L.Type, _ rows: UnsafePointer<Float>, _ tw: Int, _ dst: UnsafeMutablePointer<Float>, _ pointStride: Int
    ) {
        let a = L.load(rows), b = L.load(rows + tw), c = L.load(rows + 2 &* tw), d = L.load(rows + 3 &* tw)
        // A on the rows: (e0, e0 + e1, e0 − e1, −e1); then the same on each row's two columns.
        func row(_ i: Int, _ p: L, _ q: L) {
            let base = dst + (i &* 4) &* pointStride
            p.store(base)
            (p + q).store(base + pointStride)
            (p - q).store(base + 2 &* pointStride)
            (L.zero - q).store(base + 3 &* pointStride)
        }
        row(0, a, b)
        row(1, a + c, b + d)
        row(2, a - c, b - d)
        row(3, L.zero - c, L.zero - d)
    }

    /// V[ξ][c][tile] = (Bᵀ d B)[ξ] for every 4×4 input tile d (rows 2·ty − 1 …, columns 2·tx − 1 …, zero outside
    /// the image). Channels are split over the compute threads; each copies one padded plane at a time into its own
    /// buffer, split into even and odd columns. O(C·B·H·W).
    static func transformInput(
        _ x: UnsafePointer<Float>, channels: Int, tiling t: Tiling, into v: UnsafeMutablePointer<Float>
    ) {
        let h = t.height, w = t.width, th = t.tilesHigh, tw = t.tilesWide
        let tiles = t.tiles, pointStride = channels &* tiles
        // A padded row: even columns E[k] = x[2k − 1], then odd columns O[k] = x[2k] (k = 0 … tw), zero outside.
        let half = tw &+ 1, rowLength = 2 &* half, rows = 2 &* th &+ 2
        Compute.parallelFor(channels, costPerItem: t.batch &* h &* w &* 4) { range in
            let pad = UnsafeMutablePointer<Float>.allocate(capacity: rows &* rowLength)
            defer { pad.deallocate() }
            // Every plane writes the same positions, so the border (row 0, rows past the image, columns past it,
            // E[0]) stays zero from here on.
            pad.initialize(repeating: 0, count: rows &* rowLength)
            for c in range {
                for b in 0..<t.batch {
                    let src = x + (c &* t.batch &+ b) &* h &* w
                    for iy in 0..<h {
                        let line = src + iy &* w
                        let even = pad + (iy &+ 1) &* rowLength, odd = even + half
                        // Image column 2k is padded column 2k + 1 (odd), 2k + 1 is padded 2k + 2 (even).
                        var k = Winograd.split(line, width: w, even: odd, odd: even + 1)
                        while 2 &* k &+ 1 < w {
                            odd[k] = line[2 &* k]
                            even[k &+ 1] = line[2 &* k &+ 1]
                            k &+= 1
                        }
                        if 2 &* k < w { odd[k] = line[2 &* k] }
                    }
                    var dst = v + (c &* tiles &+ b &* th &* tw)
                    for ty in 0..<th {
                        let r0 = UnsafePointer(pad + (2 &* ty) &* rowLength)
                        var tx = 0
                        while tx &+ 8 <= tw {
                            inputTiles(SIMD8<Float>.self, r0, rowLength, half, tx, dst + tx, pointStride)
                            tx &+= 8
                        }
                        while tx < tw {
                            inputTiles(Float.self, r0, rowLength, half, tx, dst + tx, pointStride)
                            tx &+= 1
                        }
                        dst += tw
                    }
                }
            }
        }
    }

    /// The input transform of `L.lanes` consecutive tiles of one tile row whose padded rows start at `r0` (each
    /// `rowLength` long, odd columns `half` after the even ones), from tile column `tx`; writes transform point ξ at
    /// `dst + ξ·pointStride`.
    @inline(__always)
    private static func inputTiles<L: WinogradLanes>(
        _: L.Type, _ r0: UnsafePointer<Float>, _ rowLength: Int, _ half: Int, _ tx: Int,
        _ dst: UnsafeMutablePointer<Float>, _ pointStride: Int
    ) {
        let r1 = r0 + rowLength, r2 = r1 + rowLength, r3 = r2 + rowLength
        // Bᵀd on one of the tile's four columns (E[tx], O[tx], E[tx + 1], O[tx + 1]).
        func column(_ c: Int) -> (L, L, L, L) {
            let d0 = L.load(r0 + c), d1 = L.load(r1 + c), d2 = L.load(r2 + c), d3 = L.load(r3 + c)
            return (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
        }
        // (·)B on one row of Bᵀd, written to transform points 4i … 4i + 3.
        func row(_ i: Int, _ a0: L, _ a1: L, _ a2: L, _ a3: L) {
            let base = dst + (i &* 4) &* pointStride
            (a0 - a2).store(base)
            (a1 + a2).store(base + pointStride)
            (a2 - a1).store(base + 2 &* pointStride)
            (a1 - a3).store(base + 3 &* pointStride)
        }
        let c0 = column(tx), c1 = column(half &+ tx), c2 = column(tx &+ 1), c3 = column(half &+ tx &+ 1)
        row(0, c0.0, c1.0, c2.0, c3.0)
        row(1, c0.1, c1.1, c2.1, c3.1)
        row(2, c0.2, c1.2, c2.2, c3.2)
        row(3, c0.3, c1.3, c2.3, c3.3)
    }

    /// y[o][b][2·ty + r][2·tx + s] = (Aᵀ M A)[r][s] (+ residual), the parts of edge tiles outside the image dropped.
    /// Output channels are split over the compute threads. O(C·B·H·W).
    static func transformOutput(
        _ m: UnsafePointer<Float>, channels: Int, tiling t: Tiling, into y: UnsafeMutablePointer<Float>,
        adding residual: UnsafePointer<Float>?
    ) {
        let h = t.height, w = t.width, th = t.tilesHigh, tw = t.tilesWide
        let tiles = t.tiles, pointStride = channels &* tiles
        Compute.parallelFor(channels, costPerItem: t.batch &* h &* w &* 4) { range in
            // Two output rows of one tile row, each as even then odd columns.
            let rowsBuffer = UnsafeMutablePointer<Float>.allocate(capacity: 4 &* tw)
            defer { rowsBuffer.deallocate() }
            for o in range {
                var src = m + o &* tiles
                for b in 0..<t.batch {
                    let plane = (o &* t.batch &+ b) &* h &* w
                    for ty in 0..<th {
                        var tx = 0
                        while tx &+ 8 <= tw {
                            outputTiles(SIMD8<Float>.self, src + tx, pointStride, rowsBuffer + tx, tw)
                            tx &+= 8
                        }
                        while tx < tw {
                            outputTiles(Float.self, src + tx, pointStride, rowsBuffer + tx, tw)
                            tx &+= 1
                        }
                        for r in 0..<2 {
                            let oy = 2 &* ty &+ r
                            if oy >= h { break }
                            let even = rowsBuffer + (2 &* r) &* tw, odd = even + tw
                            let out = y + (plane &+ oy &* w)
                            var k = Winograd.merge(even: even, odd: odd, width: w, into: out)
                            while 2 &* k &+ 1 < w {
                                out[2 &* k] = even[k]
                                out[2 &* k &+ 1] = odd[k]
                                k &+= 1
                            }
                            if 2 &* k < w { out[2 &* k] = even[k] }
                            if let residual {
                                let res = residual + (plane &+ oy &* w)
                                for ox in 0..<w { out[ox] = out[ox] + res[ox] }
                            }
                        }
                        src += tw
                    }
                }
            }
        }
    }

    /// The output transform of `L.lanes` consecutive tiles whose transform point ξ starts at `src + ξ·pointStride`;
    /// writes output row r's even and odd columns at `rows + (2r)·tw` and `rows + (2r + 1)·tw`.
    @inline(__always)
    private static func outputTiles<L: WinogradLanes>(
        _: L.Type, _ src: UnsafePointer<Float>, _ pointStride: Int, _ rows: UnsafeMutablePointer<Float>, _ tw: Int
    ) {
        // Aᵀ on column j of the 4×4 block: s0 = m0j + m1j + m2j, s1 = m1j − m2j − m3j.
        func column(_ j: Int) -> (L, L) {
            let m0 = L.load(src + j &* pointStride), m1 = L.load(src + (4 &+ j) &* pointStride)
            let m2 = L.load(src + (8 &+ j) &* pointStride), m3 = L.load(src + (12 &+ j) &* pointStride)
            return (m0 + m1 + m2, m1 - m2 - m3)
        }
        let c0 = column(0), c1 = column(1), c2 = column(2), c3 = column(3)
        // (·)A on each of the two rows.
        (c0.0 + c1.0 + c2.0).store(rows)
        (c1.0 - c2.0 - c3.0).store(rows + tw)
        (c0.1 + c1.1 + c2.1).store(rows + 2 &* tw)
        (c1.1 - c2.1 - c3.1).store(rows + 3 &* tw)
    }
}
