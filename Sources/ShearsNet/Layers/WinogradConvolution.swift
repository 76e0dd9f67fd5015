/// A 3x3, stride-1 cross-correlation of a whole batch by Winograd's F(2x2, 3x3) (Lavin & Gray
/// 2016, §4.1; the transforms are in `WinogradF2x3`), NCHW, row-major.
///
/// The output is cut into `⌈Ho/2⌉ x ⌈Wo/2⌉` tiles of 2x2 (the last row and column of tiles
/// are partial when `Ho` or `Wo` is odd: their extra outputs are computed on zero padding and
/// dropped). Each tile reads a 4x4 input patch, zero outside the image. With
/// `U_ξ = (G g Gᵀ)_ξ` for every filter and channel (`K x C`) and `V_ξ = (Bᵀ d B)_ξ` for every
/// channel and tile of a group of images (`C x P`), the 16 products `M_ξ = U_ξ · V_ξ`
/// (`K x P`) are plain GEMMs over all those tiles at once, and `Y = Aᵀ M A` per tile.
/// Multiplications: 16 per tile and channel pair against the direct 36 (2.25x fewer); the
/// transforms are additions and scale with `C·P` and `K·P`, not with their product.
///
/// Images are split across `Compute.workers` threads; each worker takes its images in groups
/// of about `tilesPerGroup` tiles and reuses its scratch buffers from group to group. Groups
/// of 256 tiles (`V` and `M` 1 MiB for 32 → 32 channels) ran every phase faster per tile than
/// 512, 1024, 2048 or a whole share (in cache from transform to GEMM to transform), and
/// slightly faster than 128 (docs/performance.md).
struct WinogradConvolution {
    /// Input channels `C` and output channels `K`.
    let channels, filters: Int
    /// Input size and zero padding on each side (`0 ... 2`).
    let height, width, padding: Int
    /// Tiles per group of images (at least one image's worth is always taken).
    var tilesPerGroup = 256

    init(channels: Int, filters: Int, height: Int, width: Int, padding: Int) {
        precondition(channels > 0 && filters > 0 && padding >= 0 && height + 2 * padding >= 3 && width + 2 * padding >= 3,
                     "WinogradConvolution: C \(channels), K \(filters), \(height)x\(width), padding \(padding)")
        (self.channels, self.filters, self.height, self.width, self.padding) = (channels, filters, height, width, padding)
    }

    var outHeight: Int { height + 2 * padding - 2 }
    var outWidth: Int { width + 2 * padding - 2 }
    var tileRows: Int { (outHeight + 1) / 2 }
    var tileColumns: Int { (outWidth + 1) / 2 }
    var tilesPerImage: Int { tileRows * tileColumns }
    /// The zero-padded input plane: every tile's 4x4 patch lies inside it. Its lines are stored
    /// de-interleaved (even columns, then odd ones; see `WinogradF2x3.transformInputRow`).
    var paddedWidth: Int { 2 * tileColumns + 2 }
    var paddedHeight: Int { 2 * tileRows + 2 }

    /// `G g Gᵀ` of every filter, as 16 matrices `U_ξ` (`16 x K x C`) from weights `K x C x 3 x 3`.
    /// With `adjoint`, the filters of the input gradient instead: `W'[c][k][i][j] = W[k][c][2 − i][2 − j]`,
    /// as 16 matrices `16 x C x K` (then `filters` is the weight's `C` and `channels` its `K`).
    static func transformFilters(_ w: UnsafePointer<Float>, outChannels k: Int, inChannels c: Int, adjoint: Bool,
                                 into u: UnsafeMutablePointer<Float>) {
        for filter in 0..<k {
            for channel in 0..<c {
                let target = adjoint ? u + channel * k + filter : u + filter * c + channel
                WinogradF2x3.transformFilter(w + (filter * c + channel) * 9, flipped: adjoint, into: target, stride: k * c)
            }
        }
    }

    /// `y[n] = start + x[n] ⋆ w` for images `0 ..< images`: `x` is `N x C x H x W`, `u` the
    /// transformed filters (`16 x K x C`, `transformFilters`), `start` (`K x Ho x Wo`, or nil
    /// for zeros) the bias and offset, `y` (`N x K x Ho x Wo`) is overwritten.
    func run(_ x: UnsafePointer<Float>, images: Int, filters u: UnsafePointer<Float>, start: UnsafePointer<Float>?,
             into y: UnsafeMutablePointer<Float>) {
        let groupImages = max(1, min(images, tilesPerGroup / tilesPerImage))
        Compute.parallelShares(images) { _, share in
            let groupTiles = min(groupImages, share.count) * tilesPerImage
            // Written before read: the input transform fills V, the GEMMs (beta 0) fill M.
            var v = [Float](unsafeUninitializedCapacity: 16 * channels * groupTiles) { $1 = $0.count }
            var m = [Float](unsafeUninitializedCapacity: 16 * filters * groupTiles) { $1 = $0.count }
            // Padded plane, then 4 lines of Bᵀ·d, then the 2x2-tiled output plane.
            var scratch = [Float](repeating: 0, count: paddedHeight * paddedWidth + 4 * paddedWidth
                                  + 4 * tileRows * tileColumns)
            v.withUnsafeMutableBufferPointer { vb in
                m.withUnsafeMutableBufferPointer { mb in
                    scratch.withUnsafeMutableBufferPointer { sb in
                        var first = share.lowerBound
                        while first < share.upperBound {
                            let count = min(groupImages, share.upperBound - first)
                            runGroup(x, images: first..<(first + count), filters: u, start: start, into: y,
                                     v: vb.baseAddress!, m: mb.baseAddress!, scratch: sb.baseAddress!)
                            first += count
                        }
                    }
                }
            }
        }
    }

    /// One group of images: input transform into `V`, 16 GEMMs, output transform.
    private func runGroup(_ x: UnsafePointer<Float>, images: Range<Int>, filters u: UnsafePointer<Float>,
                          start: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>,
                          v: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let tiles = images.count * tilesPerImage
        let (c, k) = (channels, filters)
        for (index, image) in images.enumerated() {
            transformInput(x + image * c * height * width, into: v + index * tilesPerImage, stride: tiles, scratch: scratch)
        }
        for xi in 0..<16 {
            gemm(u + xi * k * c, [k, c], v + xi * c * tiles, [c, tiles], into: m + xi * k * tiles, [k, tiles])
        }
        let outPixels = outHeight * outWidth
        for (index, image) in images.enumerated() {
            transformOutput(m + index * tilesPerImage, stride: tiles, start: start,
                            into: y + image * k * outPixels, scratch: scratch)
        }
    }

    /// `Bᵀ d B` of every tile of one image: element ξ of channel c and tile t goes to
    /// `v[(ξ·C + c)·stride + t]`.
    func transformInput(_ image: UnsafePointer<Float>, into v: UnsafeMutablePointer<Float>, stride: Int,
                                scratch: UnsafeMutablePointer<Float>) {
        let (pw, ph) = (paddedWidth, paddedHeight)
        let padded = scratch, lines = scratch + ph * pw
        // Only the interior is rewritten per plane: the border stays zero.
        padded.update(repeating: 0, count: ph * pw)
        for channel in 0..<channels {
            let plane = image + channel * height * width
            // Input column ix is padded column ix + p, stored at (ix + p)/2, in the odd half if ix + p is odd.
            let half = pw / 2
            let (firstEven, firstOdd) = ((padding + 1) / 2, padding / 2)
            let evens = (width + padding + 1) / 2 - firstEven, odds = (width + padding) / 2 - firstOdd
            for iy in 0..<height {
                let source = plane + iy * width, line = padded + (iy + padding) * pw
                for e in firstEven..<(firstEven + evens) { line[e] = source[2 * e - padding] }
                for o in firstOdd..<(firstOdd + odds) { line[half + o] = source[2 * o + 1 - padding] }
            }
            for ty in 0..<tileRows {
                let r0 = UnsafePointer(padded + 2 * ty * pw)
                WinogradF2x3.transformInputRow(r0, r0 + pw, r0 + 2 * pw, r0 + 3 * pw, tiles: tileColumns, scratch: lines,
                                               into: v + channel * stride + ty * tileColumns, stride: channels * stride)
            }
        }
    }

    /// `Aᵀ M A` of every tile of one image, plus `start`, into `y` (`K x Ho x Wo`); element ξ of
    /// filter k and tile t is read from `m[(ξ·K + k)·stride + t]`.
    private func transformOutput(_ m: UnsafePointer<Float>, stride: Int, start: UnsafePointer<Float>?,
                                 into y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let (ho, wo) = (outHeight, outWidth)
        let lineWidth = 2 * tileColumns
        // Whole tiles go to a plane rounded up to even sizes; the valid part is then copied.
        let tiled = scratch + paddedHeight * paddedWidth + 4 * paddedWidth
        for filter in 0..<filters {
            for ty in 0..<tileRows {
                WinogradF2x3.transformOutputRow(m + filter * stride + ty * tileColumns, stride: filters * stride,
                                                tiles: tileColumns, into: tiled + 2 * ty * lineWidth, lineWidth: lineWidth)
            }
            let out = y + filter * ho * wo
            if let start {
                let base = start + filter * ho * wo
                for oy in 0..<ho {
                    for ox in 0..<wo { out[oy * wo + ox] = base[oy * wo + ox] + tiled[oy * lineWidth + ox] }
                }
            } else {
                for oy in 0..<ho { (out + oy * wo).update(from: tiled + oy * lineWidth, count: wo) }
            }
        }
    }
}
