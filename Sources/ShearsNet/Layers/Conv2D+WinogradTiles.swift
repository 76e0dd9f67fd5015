import CDirectConvolution

/// Winograd F(2x2, 3x3) image by image (`ConvolutionAlgorithm.winogradTiles`,
/// `Sources/CDirectConvolution/WinogradTiles.c`), Lavin & Gray 2016, eq. 8:
/// `Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A` per 2x2 output tile, 16 multiplications per tile and channel
/// where the direct kernels spend 36; or F(4x4, 3x3) (`.winogradTiles4`, `WinogradTiles4.c`,
/// §4.3's matrices), 36 per 4x4 tile where F(2x2, 3x3) spends 64. It runs wherever the direct kernels' forward pass and `∂X`
/// would (`DirectScratch` with `winograd`: the same calls, start values, ReLU and pooling, a
/// group of images per call on small maps), with filters transformed once per pass. The weight
/// gradient runs by F(4x4, 3x3)'s transpose F(3x3, 4x4) where the tiles are F(4x4, 3x3)
/// (`WinogradGradientScratch`), else by the direct kernels (`DirectGradientScratch`).
extension Conv2D {
    /// Whether this CPU and its OS run the Winograd tiles' AVX-512 code, F(2x2, 3x3)'s and
    /// F(4x4, 3x3)'s (x86-64, read once). Elsewhere `.winogradTiles` (F(2x2, 3x3)) computes the
    /// same sums in plain C, much more slowly, and `.automatic` does not pick it.
    public static let winogradTilesAreFast = shears_winograd3x3_fast() == 1

    /// Whether this CPU runs F(4x4, 3x3) tiles in vector code: AVX-512, or AVX2 + FMA
    /// (`WinogradTiles4AVX2.c`). Where only AVX2 runs, `.automatic` picks F(4x4, 3x3) where
    /// `automaticPicksFourByFour`, the direct kernels elsewhere (F(2x2, 3x3) has no AVX2 code;
    /// docs/performance.md, "Without AVX-512").
    public static let winogradTiles4AreFast = shears_winograd4x4_fast() == 1

    /// The fewest input and output channels for which `.automatic` picks Winograd tiles: on
    /// 28 x 28 maps they ran 1.10x the direct forward pass at 8 → 8 channels, 1.24x at 12 → 12,
    /// 1.41x at 16 → 16, and 0.93x on a first layer's 1 → 16 (one core, 32 images;
    /// docs/performance.md, "Winograd tiles").
    public static let winogradTilesMinimumChannels = 8

    /// The shortest side of a map on which `.automatic` picks Winograd tiles: on 7 x 7 maps,
    /// transformed 4 tile rows at a time, they ran 1.2–1.3x the direct kernels' forward pass
    /// (64 → 64 and 64 → 128 channels), on 14 x 14 and larger 1.15–1.6x (`shears bench conv`,
    /// docs/performance.md, "Winograd tiles on narrow maps"). On narrower maps a tile row fills
    /// under a quarter of each vector of the transforms.
    public static let winogradTilesMinimumSide = 7

    /// Whether the forward pass and `∂X` run by Winograd tiles on `height x width` maps in batches
    /// of 16 or more (`winogradTile(height:width:batch:)` is not nil; with AVX-512 whatever the
    /// batch, with AVX2 only smaller batches of maps under 16 tiles run the direct kernels).
    public func usesWinogradTiles(height: Int, width: Int) -> Bool {
        winogradTile(height: height, width: width, batch: 16) != nil
    }

    /// The Winograd tiles the forward pass and `∂X` run on `height x width` maps, or nil: the
    /// layer `usesDirect` with stride 1, and `algorithm` is `.winogradTiles` (F(2x2, 3x3)) or
    /// `.winogradTiles4` (F(4x4, 3x3)), or `.automatic` on a CPU where they are fast
    /// (`winogradTiles4AreFast`) with at least `winogradTilesMinimumChannels` input and output
    /// channels on maps whose sides are at least `winogradTilesMinimumSide`, F(4x4, 3x3) where
    /// `automaticPicksFourByFour` for a batch of `batch` images, else F(2x2, 3x3) where
    /// `winogradTilesAreFast`.
    public func winogradTile(height: Int, width: Int, batch: Int) -> WinogradTile? {
        guard usesDirect && stride == 1 else { return nil }
        switch algorithm {
        case .winogradTiles: return .twoByTwo
        case .winogradTiles4: return .fourByFour
        case .automatic:
            guard Conv2D.winogradTiles4AreFast && min(inChannels, outChannels) >= Conv2D.winogradTilesMinimumChannels
                && min(height, width) >= Conv2D.winogradTilesMinimumSide else { return nil }
            if Conv2D.automaticPicksFourByFour(height: height, width: width, batch: batch) { return .fourByFour }
            return Conv2D.winogradTilesAreFast ? .twoByTwo : nil
        case .im2col, .winograd, .kernelRows, .direct: return nil
        }
    }

    /// `.automatic`'s choice of F(4x4, 3x3) over F(2x2, 3x3) on `height x width` maps for a
    /// batch of `batch` images: where its products are at most 0.75 of F(2x2, 3x3)'s (36 per
    /// 4 x 4 tile against 16 per 2 x 2 tile; 0.56 on 7 x 7 and 28 x 28 maps, 0.73 on 14 x 14,
    /// whose last tiles are half outside, 0.81 on 9 x 9), and the batch has at least 16 tiles
    /// (one vector of the products' register tiles: a batch of one 7 x 7 image has 4). A rule of
    /// the batch alone, so that `forward` and `predict`, which split it differently, pick the
    /// same. Measured by `shears bench conv` (2 threads, batch 64; docs/performance.md, "F(4x4,
    /// 3x3) tiles" and "Narrow pruned layers"): forward + backward in 0.85–0.96 of
    /// F(2x2, 3x3)'s time on 7 x 7 maps, 0.87 on 28 x 28, and on 14 x 14 0.91–0.97 since
    /// F(4x4)'s input transform reads rows (0.96–1.12 before; two runs, resnet-s's and vgg-s's
    /// layers).
    public static func automaticPicksFourByFour(height: Int, width: Int, batch: Int) -> Bool {
        let tiles4 = (height + 3) / 4 * ((width + 3) / 4), tiles2 = (height + 1) / 2 * ((width + 1) / 2)
        return 36 * tiles4 * 100 <= 75 * 16 * tiles2 && tiles4 * batch >= 16
    }

    /// The layer's filters transformed for Winograd tiles `tile`, `U[ξ][o][c] = (G g Gᵀ)[ξ]`,
    /// or with `rotated` those of `∂X` (the filters rotated by 180° and transposed in their
    /// channels).
    func winogradTileFilters(_ tile: WinogradTile, rotated: Bool) -> [Float] {
        let (f, c) = (outChannels, inChannels)
        let count = tile == .twoByTwo ? shears_winograd3x3_filter_count(Int32(c), Int32(f))
            : shears_winograd4x4_filter_count(Int32(c), Int32(f))
        return weight.value.values.withUnsafeBufferPointer { w in
            [Float](unsafeUninitializedCapacity: count) { u, initialized in
                switch tile {
                case .twoByTwo:
                    shears_winograd3x3_transform_filters(w.baseAddress!, Int32(f), Int32(c), rotated ? 1 : 0, u.baseAddress!)
                case .fourByFour:
                    shears_winograd4x4_transform_filters(w.baseAddress!, Int32(f), Int32(c), rotated ? 1 : 0, u.baseAddress!)
                }
                initialized = count
            }
        }
    }

    /// The filters `DirectScratch.convolve` takes for this layer on `height x width` maps:
    /// Winograd's where `winogradTile(height:width:batch:)` is not nil, else the direct
    /// kernels' packing.
    func imageFilters(rotated: Bool, height: Int, width: Int, batch: Int) -> [Float] {
        guard let tile = winogradTile(height: height, width: width, batch: batch) else {
            return directPackedFilters(rotated: rotated)
        }
        return winogradTileFilters(tile, rotated: rotated)
    }
}

/// The output tile of Winograd tiles: F(2x2, 3x3) (`WinogradTiles.c`) or F(4x4, 3x3)
/// (`WinogradTiles4.c`), Lavin & Gray 2016, §4.1 and §4.3.
public enum WinogradTile: Sendable {
    /// F(2x2, 3x3): 16 products per 2 x 2 output tile and channel.
    case twoByTwo
    /// F(4x4, 3x3): 36 products per 4 x 4 output tile and channel, larger rounding errors.
    case fourByFour
}
