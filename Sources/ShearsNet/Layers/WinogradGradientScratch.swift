import CDirectConvolution

/// One worker's scratch for the weight gradient by Winograd's F(3x3, 4x4)
/// (`Sources/CDirectConvolution/WinogradWeightGradient.c`), the transpose of the forward pass's
/// F(4x4, 3x3): `∂W = Gᵀ [Σ_tiles (A ∂Y Aᵀ) ⊙ (Bᵀ d B)] G` per 4 x 4 tile of the output gradient
/// `∂Y` and the 6 x 6 input patch `d` under it (Lavin & Gray 2016, §4.3's matrices), 36
/// multiplications per tile and weight pair where the direct kernels spend 144. The
/// transform-domain sums are kept across the worker's groups of images and turned into `∂W`
/// once, by `finish`.
final class WinogradGradientScratch {
    let inputs: Int32, outputs: Int32, height: Int32, width: Int32
    /// Images per `accumulate` call (`shears_winograd4x4_group`, at least 64 tiles): each call's
    /// products sum over its tiles, long runs next to loading and storing the running sums.
    let group: Int
    private let scratch: UnsafeMutablePointer<Float>
    private let sums: UnsafeMutableBufferPointer<Float>

    /// For images of `inputs x height x width` convolved (stride 1, padding 1) into `outputs` maps.
    init(inputs: Int, outputs: Int, height: Int, width: Int) {
        precondition(inputs > 0 && outputs > 0 && height > 0 && width > 0,
                     "WinogradGradientScratch: \(inputs) -> \(outputs) channels, \(height) x \(width)")
        (self.inputs, self.outputs, self.height, self.width) = (Int32(inputs), Int32(outputs), Int32(height), Int32(width))
        group = Int(shears_winograd4x4_group(self.height, self.width))
        scratch = .allocate(capacity: shears_winograd4x4_weight_scratch_count(Int32(group), self.inputs, self.outputs,
                                                                               self.height, self.width))
        sums = .allocate(capacity: shears_winograd4x4_weight_sums_count(self.inputs, self.outputs))
        sums.initialize(repeating: 0)
    }

    deinit {
        scratch.deallocate()
        sums.deallocate()
    }

    /// Adds the transform-domain sums of `images` consecutive images (at most `group`; `x` their
    /// inputs, `dy` their output gradients) by `kernels` (the same bits in each).
    func accumulate(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, images: Int, kernels: ConvolutionKernels = .fastest) {
        precondition((1...group).contains(images), "WinogradGradientScratch: \(images) images, groups of at most \(group)")
        shears_winograd4x4_weight_sums(x, dy, Int32(images), inputs, outputs, height, width, kernels.rawValue, scratch,
                                       sums.baseAddress!)
    }

    /// `dw += ∂W` (`F x C x 3 x 3`) of every image accumulated so far.
    func finish(into dw: UnsafeMutablePointer<Float>) {
        shears_winograd4x4_weight_gradient_finish(sums.baseAddress!, inputs, outputs, dw)
    }
}
