/// The three transforms of Winograd's minimal filtering algorithm F(2x2, 3x3)
/// (Lavin & Gray 2016, "Fast Algorithms for Convolutional Neural Networks", §4.1):
///
///     Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
///
/// for a 3x3 filter `g`, a 4x4 input tile `d` and a 2x2 output tile `Y`, with
///
///     Bᵀ = [1  0 −1  0]     G = [1    0    0 ]     Aᵀ = [1  1  1  0]
///          [0  1  1  0]         [1/2  1/2  1/2]          [0  1 −1 −1]
///          [0 −1  1  0]         [1/2 −1/2  1/2]
///          [0  1  0 −1]         [0    0    1 ]
///
/// `Y` is the cross-correlation `Y[a][b] = Σ_i,j g[i][j]·d[a + i][b + j]` (PyTorch's "conv"),
/// computed with 16 multiplications instead of 36. The 16 transform-domain elements ξ are
/// numbered row-major, `ξ = 4·row + column`. Only additions, subtractions and halvings occur,
/// so the transforms round little (see `WinogradConvolutionTests` for the error bound).
enum WinogradF2x3 {
    /// `G g Gᵀ` of one 3x3 filter `g` (row-major); `flipped` transforms the filter rotated by
    /// 180°, `g[2 − i][2 − j]`, which the input gradient needs. Writes element ξ to `u[ξ·stride]`.
    @inline(__always)
    static func transformFilter(_ g: UnsafePointer<Float>, flipped: Bool, into u: UnsafeMutablePointer<Float>, stride: Int) {
        @inline(__always) func at(_ i: Int, _ j: Int) -> Float { flipped ? g[8 - 3 * i - j] : g[3 * i + j] }
        // G·g (4 x 3), column by column: rows g0, (g0 + g1 + g2)/2, (g0 − g1 + g2)/2, g2.
        @inline(__always) func column(_ j: Int) -> (Float, Float, Float, Float) {
            let (g0, g1, g2) = (at(0, j), at(1, j), at(2, j))
            return (g0, 0.5 * (g0 + g1 + g2), 0.5 * (g0 - g1 + g2), g2)
        }
        let (c0, c1, c2) = (column(0), column(1), column(2))
        // (G·g)·Gᵀ, one row of G·g at a time.
        @inline(__always) func row(_ a: Float, _ b: Float, _ c: Float, _ first: Int) {
            u[first * stride] = a
            u[(first + 1) * stride] = 0.5 * (a + b + c)
            u[(first + 2) * stride] = 0.5 * (a - b + c)
            u[(first + 3) * stride] = c
        }
        row(c0.0, c1.0, c2.0, 0)
        row(c0.1, c1.1, c2.1, 4)
        row(c0.2, c1.2, c2.2, 8)
        row(c0.3, c1.3, c2.3, 12)
    }

    /// `Bᵀ d B` for every tile of one tile row. `rows` are the 4 padded input lines the tiles
    /// span, each stored de-interleaved: its `tiles + 1` even columns, then its `tiles + 1` odd
    /// ones, so that tile `t` (columns `2t ..< 2t + 4`) reads `even[t], odd[t], even[t + 1],
    /// odd[t + 1]` and every loop runs over contiguous memory. `scratch` holds
    /// `8·(tiles + 1)` floats. Element ξ of tile t goes to `v[ξ·stride + t]`.
    @inline(__always)
    static func transformInputRow(_ r0: UnsafePointer<Float>, _ r1: UnsafePointer<Float>, _ r2: UnsafePointer<Float>,
                                  _ r3: UnsafePointer<Float>, tiles: Int, scratch: UnsafeMutablePointer<Float>,
                                  into v: UnsafeMutablePointer<Float>, stride: Int) {
        let (half, width) = (tiles + 1, 2 * tiles + 2)
        let (t0, t1, t2, t3) = (scratch, scratch + width, scratch + 2 * width, scratch + 3 * width)
        // Bᵀ·d on whole lines.
        for x in 0..<width {
            let (a, b, c, d) = (r0[x], r1[x], r2[x], r3[x])
            t0[x] = a - c
            t1[x] = b + c
            t2[x] = c - b
            t3[x] = b - d
        }
        // (Bᵀ·d)·B: columns (a, b, c, d) = (even[t], odd[t], even[t + 1], odd[t + 1]).
        @inline(__always) func columns(_ line: UnsafeMutablePointer<Float>, _ first: Int) {
            let (even, odd) = (line, line + half)
            let (o0, o1, o2, o3) = (v + first * stride, v + (first + 1) * stride, v + (first + 2) * stride, v + (first + 3) * stride)
            for t in 0..<tiles {
                o0[t] = even[t] - even[t + 1]
                o1[t] = odd[t] + even[t + 1]
                o2[t] = even[t + 1] - odd[t]
                o3[t] = odd[t] - odd[t + 1]
            }
        }
        columns(t0, 0)
        columns(t1, 4)
        columns(t2, 8)
        columns(t3, 12)
    }

    /// `Aᵀ m A` for every tile of one tile row: element ξ of tile t is read from
    /// `m[ξ·stride + t]`; the 2x2 result goes to lines `out` and `out + lineWidth`, columns
    /// `2t` and `2t + 1` (`lineWidth ≥ 2·tiles`).
    @inline(__always)
    static func transformOutputRow(_ m: UnsafePointer<Float>, stride: Int, tiles: Int,
                                   into out: UnsafeMutablePointer<Float>, lineWidth: Int) {
        let next = out + lineWidth
        for t in 0..<tiles {
            @inline(__always) func e(_ xi: Int) -> Float { m[xi * stride + t] }
            // Aᵀ·m: rows m0 + m1 + m2 and m1 − m2 − m3 of the 4x4 tile.
            let s00 = e(0) + e(4) + e(8), s01 = e(1) + e(5) + e(9), s02 = e(2) + e(6) + e(10), s03 = e(3) + e(7) + e(11)
            let s10 = e(4) - e(8) - e(12), s11 = e(5) - e(9) - e(13), s12 = e(6) - e(10) - e(14), s13 = e(7) - e(11) - e(15)
            // (Aᵀ·m)·A.
            out[2 * t] = s00 + s01 + s02
            out[2 * t + 1] = s01 - s02 - s03
            next[2 * t] = s10 + s11 + s12
            next[2 * t + 1] = s11 - s12 - s13
        }
    }

    /// The adjoint of `transformOutputRow`: `A ∂Y Aᵀ` (4x4) of every 2x2 output-gradient tile of
    /// one tile row. `out` and `out + lineWidth` are the tile row's two lines of `∂Y`, zero past
    /// the output's edge; element ξ of tile t goes to `m[ξ·stride + t]`.
    @inline(__always)
    static func transformOutputGradientRow(_ out: UnsafePointer<Float>, lineWidth: Int, tiles: Int,
                                           into m: UnsafeMutablePointer<Float>, stride: Int) {
        let next = out + lineWidth
        @inline(__always) func row(_ a: Float, _ b: Float, _ first: Int, _ t: Int) {
            // (A·∂Y)·Aᵀ for one row (a, b) of A·∂Y: a, a + b, a − b, −b.
            m[first * stride + t] = a
            m[(first + 1) * stride + t] = a + b
            m[(first + 2) * stride + t] = a - b
            m[(first + 3) * stride + t] = -b
        }
        for t in 0..<tiles {
            let (y00, y01, y10, y11) = (out[2 * t], out[2 * t + 1], next[2 * t], next[2 * t + 1])
            // A·∂Y (A is the 4x2 transpose of Aᵀ): rows y0, y0 + y1, y0 − y1, −y1.
            row(y00, y01, 0, t)
            row(y00 + y10, y01 + y11, 4, t)
            row(y00 - y10, y01 - y11, 8, t)
            row(-y10, -y11, 12, t)
        }
    }

    /// The adjoint of `transformFilter` (unflipped): `Gᵀ ∂U G` (3x3) from element ξ at
    /// `du[ξ·stride]`, added to the 3x3 filter gradient `dg` (row-major).
    @inline(__always)
    static func addFilterGradient(_ du: UnsafePointer<Float>, stride: Int, into dg: UnsafeMutablePointer<Float>) {
        @inline(__always) func e(_ xi: Int) -> Float { du[xi * stride] }
        // Gᵀ·∂U (3 x 4), column j: u0j + (u1j + u2j)/2, (u1j − u2j)/2, (u1j + u2j)/2 + u3j.
        @inline(__always) func column(_ j: Int) -> (Float, Float, Float) {
            let (u0, u1, u2, u3) = (e(j), e(4 + j), e(8 + j), e(12 + j))
            return (u0 + 0.5 * (u1 + u2), 0.5 * (u1 - u2), 0.5 * (u1 + u2) + u3)
        }
        let (c0, c1, c2, c3) = (column(0), column(1), column(2), column(3))
        // (Gᵀ·∂U)·G, row by row: r0 + (r1 + r2)/2, (r1 − r2)/2, (r1 + r2)/2 + r3.
        @inline(__always) func row(_ r0: Float, _ r1: Float, _ r2: Float, _ r3: Float, _ i: Int) {
            dg[3 * i] += r0 + 0.5 * (r1 + r2)
            dg[3 * i + 1] += 0.5 * (r1 - r2)
            dg[3 * i + 2] += 0.5 * (r1 + r2) + r3
        }
        row(c0.0, c1.0, c2.0, c3.0, 0)
        row(c0.1, c1.1, c2.1, c3.1, 1)
        row(c0.2, c1.2, c2.2, c3.2, 2)
    }
}
