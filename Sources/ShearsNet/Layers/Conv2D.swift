/// 2-D convolution (cross-correlation, as PyTorch), weight `F x C x kh x kw`, NCHW.
///
/// Forward per image: `Y = W·col(X) + b` where `col` is im2col (`C·kh·kw x Ho·Wo`).
/// Backward per image: `∂W += ∂Y·colᵀ`, `∂b += Σ ∂Y`, `∂X = col2im(Wᵀ·∂Y)`.
/// Images are split across `Compute.workers` threads with private scratch buffers.
/// Stride-1 layers whose output is as wide as their input regroup the same GEMM by kernel row
/// (`Conv2D+KernelRows.swift`), and 3x3 stride-1 layers may compute all three by Winograd's
/// F(2x2, 3x3) (`Conv2D+Winograd.swift`, or image by image: `Conv2D+WinogradTiles.swift`) or by
/// direct kernels (`Conv2D+Direct.swift`);
/// `algorithm` and `ConvolutionAlgorithm.automatic` choose.
///
/// Two pruning states change the plain formula: after shape-wise pruning (`patchRows`) the
/// weight is the `F x K'` matrix of the kept im2col rows, and after removing producers whose
/// output was a constant, `outputOffset` (`F x Ho x Wo`) carries their folded contribution,
/// which varies near the borders because padding zeros do not see the constant.
///
/// A conv built without a bias (ResNet's convs, whose BatchNorm supplies the shift) keeps a
/// zero `bias` that is not a parameter: it is never trained nor saved, and surgery may slice
/// it like any other.
public final class Conv2D: ReLUFusing {
    /// Kernels, `F x C x kh x kw` while dense (`F x K'` after shape-wise pruning, see `patchRows`),
    /// initialised U(−1/√(C·kh·kw), 1/√(C·kh·kw)) as PyTorch's default.
    public let weight: Parameter
    /// One shift per output channel, `F`; zeros and untrained when `hasBias` is false.
    public let bias: Parameter
    /// Step of the kernel over the input, in pixels, the same along height and width.
    public let stride: Int
    /// Zero rows and columns added on each side of the input before the kernel slides.
    public let padding: Int
    /// False for a network's first layer, whose input gradient nobody needs: backward then
    /// skips `Wᵀ·∂Y` and col2im and returns zeros.
    public var computesInputGradient = true
    /// Whether `backward` returns `∂X` zeroed where the input is zero, as the backward pass of a
    /// ReLU that produced the input would: set by the graph around the call for a conv that is
    /// its ReLU's only reader, whose backward it then skips (`GraphNetwork.reluBackwardFusions`).
    /// The direct kernels mask each image's `∂X` while it is in cache.
    var masksInputGradientByInput = false
    /// How forward and backward are computed (see `ConvolutionAlgorithm`); layers where the
    /// chosen algorithm does not apply use im2col (`usesWinograd`, `usesKernelRows`).
    public var algorithm = Conv2D.defaultAlgorithm

    /// The `algorithm` new layers start with: `.automatic`, Winograd only where it measured
    /// faster than im2col (generic GEMM kernels; docs/performance.md, "Winograd F(2x2, 3x3)").
    public static let defaultAlgorithm = ConvolutionAlgorithm.automatic
    private var input = Tensor(shape: [0])
    /// Input channels `C` the layer reads; input-channel pruning lowers it.
    public internal(set) var inChannels: Int
    /// Kernel rows `kh`.
    public let kernelHeight: Int
    /// Kernel columns `kw`.
    public let kernelWidth: Int
    /// The im2col rows `(c·kh + i)·kw + j` still read after shape-wise pruning, ascending;
    /// nil while the layer is dense (weight `F x C x kh x kw`).
    public internal(set) var patchRows: [Int]?
    /// Added to every image's output (`F x Ho x Wo`); nil when there is none.
    public internal(set) var outputOffset: Tensor?

    /// Output channels (filters) `F`, the first dimension of `weight`.
    public var outChannels: Int { weight.value.shape[0] }
    /// Whether `bias` is trained and saved (PyTorch's `bias=True`).
    public let hasBias: Bool

    /// A dense `kernelSize x kernelSize` convolution with PyTorch's default initialisation drawn from `rng`.
    public init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias hasBias: Bool = true, rng: inout SeededGenerator) {
        precondition(inChannels > 0 && outChannels > 0 && kernelSize > 0 && stride > 0 && padding >= 0,
                     "Conv2D: \(inChannels) -> \(outChannels), kernel \(kernelSize), stride \(stride), padding \(padding)")
        let fanIn = inChannels * kernelSize * kernelSize
        weight = Parameter(name: "weight", value: Tensor(
            shape: [outChannels, inChannels, kernelSize, kernelSize],
            values: pytorchDefaultUniform(count: outChannels * fanIn, fanIn: fanIn, rng: &rng)), decays: true)
        bias = Parameter(name: "bias", value: hasBias ? Tensor(
            shape: [outChannels], values: pytorchDefaultUniform(count: outChannels, fanIn: fanIn, rng: &rng))
            : Tensor(shape: [outChannels]), decays: false)
        self.hasBias = hasBias
        self.stride = stride
        self.padding = padding
        self.inChannels = inChannels
        (kernelHeight, kernelWidth) = (kernelSize, kernelSize)
    }

    public var parameters: [Parameter] { hasBias ? [weight, bias] : [weight] }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        [inputShape[0], outChannels, geometry(inputShape).outHeight, geometry(inputShape).outWidth]
    }

    func geometry(_ shape: [Int]) -> ConvGeometry {
        ConvGeometry(channels: inChannels, height: shape[2], width: shape[3], kernelHeight: kernelHeight,
                     kernelWidth: kernelWidth, stride: stride, padding: padding, rows: patchRows)
    }

    /// `[N, C, H, W] → [N, F, Ho, Wo]` with `Ho = ⌊(H + 2·padding − kh)/stride⌋ + 1` (same for `Wo`).
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        forward(input, training: training, thenReLU: false)
    }

    /// `forward(input, training:)`, with `max(0, ·)` applied to each image's output as soon as
    /// it is computed when `thenReLU` (`ReLUFusing`).
    public func forward(_ input: Tensor, training: Bool, thenReLU: Bool) -> Tensor {
        precondition(input.shape.count == 4 && input.shape[1] == inChannels,
                     "Conv2D.forward: expected [N, \(inChannels), H, W], got \(input.shape)")
        self.input = input
        let g = geometry(input.shape)
        let (n, f, p) = (input.shape[0], outChannels, g.outPixels)
        // Every image's output is bias (+ offset) plus the convolution's sums.
        let initial = startValues(g)
        // Uninitialised: every algorithm writes each output value (a zero fill first was a
        // whole extra pass over the largest activations).
        let values = [Float](unsafeUninitializedCapacity: n * f * p) { y, initialized in
            defer { initialized = n * f * p }
            if usesWinograd {
                winogradForward(input, start: initial, into: y.baseAddress!)
                // Winograd computes tiles of every image at once: one pass at the end.
                if thenReLU { ReLU.clampNegatives(y.baseAddress!, count: n * f * p) }
                return
            }
            if usesDirect {
                directForward(input, start: initial, thenReLU: thenReLU, into: y.baseAddress!)
                return
            }
            if usesKernelRows {
                kernelRowsForward(input, start: initial, thenReLU: thenReLU, into: y.baseAddress!)
                return
            }
            im2colForward(input, start: initial, thenReLU: thenReLU, into: y.baseAddress!)
        }
        return Tensor(shape: [n, f, g.outHeight, g.outWidth], values: values)
    }

    /// What every image's output starts from before the convolution's sums are added: the bias,
    /// plus `outputOffset` where surgery left one (`F x Ho x Wo`).
    func startValues(_ g: ConvGeometry) -> [Float] {
        let (f, p) = (outChannels, g.outPixels)
        var initial = outputOffset?.values ?? [Float](repeating: 0, count: f * p)
        precondition(initial.count == f * p,
                     "Conv2D.forward: output offset \(outputOffset?.shape ?? []) for outputs [\(f), \(g.outHeight), \(g.outWidth)]")
        for channel in 0..<f {
            let b = bias.value.values[channel]
            for q in (channel * p)..<((channel + 1) * p) { initial[q] += b }
        }
        return initial
    }

    /// Adds the workers' partial sums to `∂W` (the first `size` weights) and `∂b`, worker after
    /// worker: each worker of a backward pass sums its images' gradients in its own slice of
    /// `partialWeight` (`size` floats each) and `partialBias` (`F` each), so that the batch's
    /// sums do not depend on how the workers were scheduled.
    func addWorkerGradients(_ partialWeight: [Float], _ partialBias: [Float], size: Int, shares: Int) {
        let f = outChannels
        for worker in 0..<shares {
            for i in 0..<size { weight.gradient.values[i] += partialWeight[worker * size + i] }
            guard hasBias else { continue }
            for i in 0..<f { bias.gradient.values[i] += partialBias[worker * f + i] }
        }
    }

    /// Adds `∂W` and `∂b` (summed over the batch) and returns `∂X` (zeros when `computesInputGradient` is false).
    public func backward(_ outputGradient: Tensor) -> Tensor {
        let g = geometry(input.shape)
        requireShape(outputGradient.shape, [input.shape[0], outChannels, g.outHeight, g.outWidth], "Conv2D.backward")
        if usesDirectBackward { return directBackward(outputGradient, input: input) }
        var inputGradient = if usesWinograd {
            winogradBackward(outputGradient, input: input)
        } else if usesDirectStridedInputGradient {
            stridedDirectBackward(outputGradient, input: input)
        } else if usesKernelRows {
            kernelRowsBackward(outputGradient, input: input)
        } else {
            im2colBackward(outputGradient, input: input)
        }
        guard masksInputGradientByInput else { return inputGradient }
        inputGradient.values.withUnsafeMutableBufferPointer { g in
            input.values.withUnsafeBufferPointer { x in ReLU.maskGradient(g.baseAddress!, by: x.baseAddress!, count: x.count, into: g.baseAddress!) }
        }
        return inputGradient
    }
}
