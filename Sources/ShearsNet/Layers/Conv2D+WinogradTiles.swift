import CDirectConvolution

/// Winograd F(2x2, 3x3) image by image (`ConvolutionAlgorithm.winogradTiles`,
/// `Sources/CDirectConvolution/WinogradTiles.c`), Lavin & Gray 2016, eq. 8:
/// `Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A` per 2x2 output tile, 16 multiplications per tile and channel
/// where the direct kernels spend 36. It runs wherever the direct kernels' forward pass and `∂X`
/// would (`DirectScratch` with `winograd`: the same calls, start values, ReLU and pooling, a
/// group of images per call on small maps), with filters transformed once per pass; the weight
/// gradient stays on the direct kernels (`DirectGradientScratch`).
extension Conv2D {
    /// Whether this CPU and its OS run the Winograd tiles' AVX-512 code (x86-64, read once).
    /// Elsewhere `.winogradTiles` computes the same sums in plain C, much more slowly, and
    /// `.automatic` does not pick it.
    public static let winogradTilesAreFast = shears_winograd3x3_fast() == 1

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

    /// Whether the forward pass and `∂X` run by Winograd tiles on `height x width` maps: the
    /// layer `usesDirect` with stride 1, and `algorithm` is `.winogradTiles`, or `.automatic` on
    /// a CPU where they are fast (`winogradTilesAreFast`) with at least
    /// `winogradTilesMinimumChannels` input and output channels on maps whose sides are at
    /// least `winogradTilesMinimumSide`.
    public func usesWinogradTiles(height: Int, width: Int) -> Bool {
        guard usesDirect && stride == 1 else { return false }
        switch algorithm {
        case .winogradTiles: return true
        case .automatic:
            return Conv2D.winogradTilesAreFast && min(inChannels, outChannels) >= Conv2D.winogradTilesMinimumChannels
                && min(height, width) >= Conv2D.winogradTilesMinimumSide
        case .im2col, .winograd, .kernelRows, .direct: return false
        }
    }

    /// The layer's filters transformed for Winograd tiles, `U[ξ][o][c] = (G g Gᵀ)[ξ]`, or with
    /// `rotated` those of `∂X` (the filters rotated by 180° and transposed in their channels).
    func winogradTileFilters(rotated: Bool) -> [Float] {
        let (f, c) = (outChannels, inChannels)
        let count = shears_winograd3x3_filter_count(Int32(c), Int32(f))
        return weight.value.values.withUnsafeBufferPointer { w in
            [Float](unsafeUninitializedCapacity: count) { u, initialized in
                shears_winograd3x3_transform_filters(w.baseAddress!, Int32(f), Int32(c), rotated ? 1 : 0, u.baseAddress!)
                initialized = count
            }
        }
    }

    /// The filters `DirectScratch.convolve` takes for this layer on `height x width` maps:
    /// Winograd's where `usesWinogradTiles`, else the direct kernels' packing.
    func imageFilters(rotated: Bool, height: Int, width: Int) -> [Float] {
        usesWinogradTiles(height: height, width: width)
            ? winogradTileFilters(rotated: rotated) : directPackedFilters(rotated: rotated)
    }
}
