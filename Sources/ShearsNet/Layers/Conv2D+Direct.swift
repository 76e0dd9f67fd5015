import CDirectConvolution

/// Forward, input and weight gradients by the direct 3x3 kernels (`ConvolutionAlgorithm.direct`,
/// `Sources/CDirectConvolution`): per image, the input is copied once into a zero-padded
/// layout whose nine taps are fixed offsets (for stride 2, into its four row and column
/// phases), and register tiles of 4 filters x 24 outputs sum
/// `y[f][p] = start[f][p] + Σ_c Σ_i,j w[f][c][i][j]·x[c][s·p_y + i − 1][s·p_x + j − 1]` with no patch
/// matrix and no BLAS packing, each output stored once with the start value and the ReLU.
/// `∂X` is the same convolution of `∂Y` with the filters rotated by 180° and transposed in their
/// channels (as by kernel rows); `∂W[f][c][i][j] = Σ_p ∂Y[f][p]·X[c][p + (i − 1, j − 1)]` is, per
/// tap, a filters x positions by positions x channels product, summed by register tiles of
/// filters x channels over a group of images copied channels last (DirectWeightGradient.c).
/// Stride 2: `Conv2D+StridedDirect.swift`.
extension Conv2D {
    /// Whether this CPU runs the direct kernels' AVX2 + FMA code (x86-64, read once). Elsewhere
    /// `.direct` computes the same sums in plain C, in the same order, much more slowly, and
    /// `.automatic` does not pick it.
    public static let directKernelsAreFast = shears_direct3x3_fast() == 1

    /// Whether the forward pass runs image by image by the kernels of `Sources/CDirectConvolution`
    /// (the direct ones, or Winograd tiles where `usesWinogradTiles(height:width:)`): the layer is
    /// 3x3, stride 1 or 2, padding 1 and not shape-pruned, and `algorithm` is `.direct` or
    /// `.winogradTiles`, or `.automatic` on a CPU where the direct kernels are fast
    /// (`directKernelsAreFast`) and Winograd is not picked.
    public var usesDirect: Bool {
        let applies = kernelHeight == 3 && kernelWidth == 3 && (stride == 1 || stride == 2) && padding == 1
            && patchRows == nil
        switch algorithm {
        case .im2col, .winograd, .kernelRows: return false
        case .direct, .winogradTiles, .winogradTiles4: return applies
        case .automatic: return applies && Conv2D.directKernelsAreFast && !usesWinograd
        }
    }

    /// Whether backward runs by the direct kernels too (`∂X` by Winograd tiles where
    /// `usesWinogradTiles(height:width:)`): where the forward pass does with stride
    /// 1 (a stride-2 layer's backward is `usesDirectStridedInputGradient`'s), except under `.automatic` on a layer of
    /// fewer than `kernelRowsMinimumChannels` input channels (a first layer), whose weight
    /// gradient the direct kernels' tiles of 3 channels would mostly spend on zeros; such a
    /// layer's backward runs by im2col (measured: `shears bench conv`, docs/performance.md, "A
    /// direct convolution").
    public var usesDirectBackward: Bool {
        usesDirect && stride == 1 && (algorithm != .automatic || inChannels >= Conv2D.kernelRowsMinimumChannels)
    }

    /// The layer's filters packed for the direct kernels, or with `rotated` those of `∂X`.
    func directPackedFilters(rotated: Bool) -> [Float] {
        let (f, c) = (outChannels, inChannels)
        let count = rotated ? shears_direct3x3_packed_count(Int32(f), Int32(c)) : shears_direct3x3_packed_count(Int32(c), Int32(f))
        return weight.value.values.withUnsafeBufferPointer { w in
            [Float](unsafeUninitializedCapacity: count) { packed, initialized in
                shears_direct3x3_pack(w.baseAddress!, Int32(f), Int32(c), rotated ? 1 : 0, packed.baseAddress!)
                initialized = count
            }
        }
    }

    /// Evaluation-mode `MaxPool2D(size: 2)(ReLU(forward(input)))` for a layer that `usesDirect`:
    /// each image's output is pooled as it is copied out of the kernels' scratch, still in
    /// cache, and the unpooled output is never written (`GraphNetwork.predict`). The same
    /// bits as the three layers run one after another. Nothing is kept for `backward`.
    public func predictThenReLUAndMaxPool(_ input: Tensor) -> Tensor {
        precondition(usesDirect && input.shape.count == 4 && input.shape[1] == inChannels,
                     "Conv2D.predictThenReLUAndMaxPool: a direct layer of \(inChannels) channels, got \(input.shape)")
        let g = geometry(input.shape)
        precondition(g.outHeight >= 2 && g.outWidth >= 2,
                     "Conv2D.predictThenReLUAndMaxPool: outputs of 2 x 2 or more, got \(g.outHeight) x \(g.outWidth)")
        let shape = [input.shape[0], outChannels, g.outHeight / 2, g.outWidth / 2]
        let count = shape.reduce(1, *)
        let values = [Float](unsafeUninitializedCapacity: count) { y, initialized in
            directForward(input, start: startValues(g), thenReLU: true, pooled: true, into: y.baseAddress!)
            initialized = count
        }
        return Tensor(shape: shape, values: values)
    }

    /// Forward by the direct kernels: `y[n] = start + conv(x[n])`, then `max(0, ·)` when
    /// `thenReLU`, then 2x2 max-pooled when `pooled`; each image by one worker with its own
    /// scratch (Winograd tiles: a group of images per call, `DirectScratch.group`).
    func directForward(_ input: Tensor, start: [Float], thenReLU: Bool, pooled: Bool = false,
                       into y: UnsafeMutablePointer<Float>) {
        let (n, c, h, w) = (input.shape[0], inChannels, input.shape[2], input.shape[3])
        let g = geometry(input.shape)
        let f = outChannels, imageOutputs = pooled ? f * (g.outHeight / 2) * (g.outWidth / 2) : f * g.outPixels
        let winograd = winogradTile(height: h, width: w, batch: n)
        let packed = imageFilters(rotated: false, height: h, width: w, batch: n)
        input.values.withUnsafeBufferPointer { x in
            packed.withUnsafeBufferPointer { filters in
                start.withUnsafeBufferPointer { s in
                    Compute.parallelShares(n) { _, images in
                        let direct = DirectScratch(inputs: c, outputs: f, height: h, width: w, stride: stride, winograd: winograd)
                        for first in Swift.stride(from: images.lowerBound, to: images.upperBound, by: direct.group) {
                            direct.convolve(x.baseAddress! + first * c * h * w, filters.baseAddress!,
                                            images: min(direct.group, images.upperBound - first), start: s.baseAddress!,
                                            relu: thenReLU, pooled: pooled, into: y + first * imageOutputs)
                        }
                    }
                }
            }
        }
    }
}

extension Conv2D {
    /// Backward by the direct kernels: adds `∂W` and `∂b` (summed over the batch) and returns
    /// `∂X` (zeros when `computesInputGradient` is false; masked by the input image by image
    /// when `masksInputGradientByInput`). Each worker sums its images' `∂W` in its own
    /// `F x C x 3 x 3` buffer; the buffers are added in worker order at the end. Where `∂X` runs
    /// by F(4x4, 3x3) tiles, `∂W` runs by its transpose F(3x3, 4x4) (`WinogradGradientScratch`:
    /// 0.40–0.63 of the direct kernels' time on vgg-s's convs, docs/performance.md, "∂W by
    /// Winograd"; 0.42–0.55 with AVX2, "Without AVX-512"), else by the direct kernels
    /// (`DirectGradientScratch`).
    func directBackward(_ outputGradient: Tensor, input: Tensor) -> Tensor {
        let (n, c, h, w) = (input.shape[0], inChannels, input.shape[2], input.shape[3])
        let (f, p) = (outChannels, h * w)
        let winograd = winogradTile(height: h, width: w, batch: n)
        let filters = computesInputGradient ? imageFilters(rotated: true, height: h, width: w, batch: n) : []
        let shares = max(1, min(Compute.workers, n)), size = f * c * 9
        let masks = masksInputGradientByInput
        var partialWeight = [Float](repeating: 0, count: shares * size)
        var partialBias = [Float](repeating: 0, count: shares * f)
        let dx = [Float](unsafeUninitializedCapacity: input.count) { dx, initialized in
            defer { initialized = input.count }
            input.values.withUnsafeBufferPointer { x in
                outputGradient.values.withUnsafeBufferPointer { dy in
                    filters.withUnsafeBufferPointer { rotated in
                        partialWeight.withUnsafeMutableBufferPointer { dwAll in
                            partialBias.withUnsafeMutableBufferPointer { dbAll in
                                Compute.parallelShares(n) { worker, images in
                                    let dw = dwAll.baseAddress! + worker * size, db = dbAll.baseAddress! + worker * f
                                    if winograd == .fourByFour {
                                        let gradient = WinogradGradientScratch(inputs: c, outputs: f, height: h, width: w)
                                        for first in Swift.stride(from: images.lowerBound, to: images.upperBound, by: gradient.group) {
                                            gradient.accumulate(x.baseAddress! + first * c * p, dy.baseAddress! + first * f * p,
                                                                images: min(gradient.group, images.upperBound - first))
                                        }
                                        gradient.finish(into: dw)
                                    } else {
                                        let gradient = DirectGradientScratch(inputs: c, outputs: f, height: h, width: w)
                                        for first in Swift.stride(from: images.lowerBound, to: images.upperBound, by: gradient.group) {
                                            gradient.accumulate(x.baseAddress! + first * c * p, dy.baseAddress! + first * f * p,
                                                                images: min(gradient.group, images.upperBound - first), into: dw)
                                        }
                                    }
                                    for image in images {
                                        let dyImage = dy.baseAddress! + image * f * p
                                        for filter in 0..<f { db[filter] += PlaneSums.sum(dyImage + filter * p, count: p) }
                                    }
                                    guard computesInputGradient else {
                                        (dx.baseAddress! + images.lowerBound * c * p).update(repeating: 0, count: images.count * c * p)
                                        return
                                    }
                                    let inputGradient = DirectScratch(inputs: f, outputs: c, height: h, width: w, winograd: winograd)
                                    let group = inputGradient.group
                                    for first in Swift.stride(from: images.lowerBound, to: images.upperBound, by: group) {
                                        let count = min(group, images.upperBound - first), dxGroup = dx.baseAddress! + first * c * p
                                        inputGradient.convolve(dy.baseAddress! + first * f * p, rotated.baseAddress!, images: count,
                                                               start: nil, relu: false, into: dxGroup)
                                        if masks {
                                            ReLU.maskGradient(dxGroup, by: x.baseAddress! + first * c * p, count: count * c * p,
                                                              into: dxGroup)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        addWorkerGradients(partialWeight, partialBias, size: size, shares: shares)
        return Tensor(shape: input.shape, values: dx)
    }
}

/// One worker's scratch for the per-image kernels (the direct kernels' padded image, or its
/// four phases for stride 2, and the tiles' outputs; or Winograd tiles' transformed images and
/// products), sized once per pass, and the call for one image or a group.
final class DirectScratch {
    let inputs: Int32, outputs: Int32, height: Int32, width: Int32, stride: Int32
    /// The Winograd tiles `convolve` runs (filters from `Conv2D.winogradTileFilters`), or nil for
    /// the direct kernels (filters from `Conv2D.directPackedFilters`).
    let winograd: WinogradTile?
    /// The most images per `convolve` call: for Winograd tiles with `grouped`, enough that the
    /// products' register tiles are full on small maps (`shears_winograd3x3_group`,
    /// `shears_winograd4x4_group`), else 1.
    let group: Int
    private let scratch: UnsafeMutablePointer<Float>

    /// For images of `inputs x height x width` convolved at `stride` (1 or 2; 1 for Winograd)
    /// into `outputs` maps, one per call unless `winograd` and `grouped`, and at most
    /// `atMost` (the scratch is sized for the group).
    init(inputs: Int, outputs: Int, height: Int, width: Int, stride: Int = 1, winograd: WinogradTile? = nil,
         grouped: Bool = true, atMost: Int = .max) {
        precondition(inputs > 0 && outputs > 0 && height > 0 && width > 0 && (stride == 1 || stride == 2 && winograd == nil),
                     "DirectScratch: \(inputs) -> \(outputs) channels, \(height) x \(width), stride \(stride)")
        (self.inputs, self.outputs, self.height, self.width) = (Int32(inputs), Int32(outputs), Int32(height), Int32(width))
        self.stride = Int32(stride)
        self.winograd = winograd
        let count: Int
        switch winograd {
        case .twoByTwo:
            group = grouped ? min(Int(shears_winograd3x3_group(self.height, self.width)), max(1, atMost)) : 1
            count = shears_winograd3x3_scratch_count(Int32(group), self.inputs, self.outputs, self.height, self.width)
        case .fourByFour:
            group = grouped ? min(Int(shears_winograd4x4_group(self.height, self.width)), max(1, atMost)) : 1
            count = shears_winograd4x4_scratch_count(Int32(group), self.inputs, self.outputs, self.height, self.width)
        case nil:
            group = 1
            count = shears_direct3x3_scratch_count(self.inputs, self.outputs, self.height, self.width, self.stride)
        }
        scratch = .allocate(capacity: count)
    }

    deinit { scratch.deallocate() }

    /// `y = start + conv(x)` (`start` nil for zeros), then the ReLU when `relu`, then 2x2
    /// max-pooled when `pooled`, for `images` consecutive images (at most `group`; each
    /// image's values the same bits whatever the group) by `kernels` (the same bits in each; the
    /// tests compare them).
    func convolve(_ x: UnsafePointer<Float>, _ packed: UnsafePointer<Float>, images: Int = 1, start: UnsafePointer<Float>?,
                  relu: Bool, pooled: Bool = false, kernels: ConvolutionKernels = .fastest,
                  into y: UnsafeMutablePointer<Float>) {
        precondition((1...group).contains(images), "DirectScratch: \(images) images, groups of at most \(group)")
        let (images, relu, pooled, kernels) = (Int32(images), Int32(relu ? 1 : 0), Int32(pooled ? 1 : 0), kernels.rawValue)
        switch winograd {
        case .twoByTwo:
            shears_winograd3x3(x, images, inputs, height, width, packed, outputs, start, relu, pooled, kernels, scratch, y)
        case .fourByFour:
            shears_winograd4x4(x, images, inputs, height, width, packed, outputs, start, relu, pooled, kernels, scratch, y)
        case nil:
            shears_direct3x3(x, inputs, height, width, stride, packed, outputs, start, relu, pooled, kernels, scratch, y)
        }
    }
}

/// One worker's scratch for the direct weight gradient (a group of images stacked into one
/// padded image, and their flat output gradients), sized once per pass, and the call for a group.
final class DirectGradientScratch {
    let inputs: Int32, outputs: Int32, height: Int32, width: Int32, stride: Int32
    /// Images per call: on small maps several, stacked, so that the kernel's runs are long.
    let group: Int
    private let scratch: UnsafeMutablePointer<Float>

    /// For images of `inputs x height x width` convolved at `stride` (1 or 2) into `outputs` maps.
    init(inputs: Int, outputs: Int, height: Int, width: Int, stride: Int = 1) {
        precondition(inputs > 0 && outputs > 0 && height > 0 && width > 0 && (stride == 1 || stride == 2),
                     "DirectGradientScratch: \(inputs) -> \(outputs) channels, \(height) x \(width), stride \(stride)")
        (self.inputs, self.outputs, self.height, self.width) = (Int32(inputs), Int32(outputs), Int32(height), Int32(width))
        self.stride = Int32(stride)
        group = Int(shears_direct3x3_weight_gradient_group(self.height, self.width, self.stride))
        scratch = .allocate(capacity: shears_direct3x3_weight_gradient_scratch_count(self.inputs, self.outputs,
                                                                                     self.height, self.width, self.stride))
    }

    deinit { scratch.deallocate() }

    /// `dw += ∂W` of `images` consecutive images (at most `group`; `dy` their output gradients
    /// at `stride`, `dw` `F x C x 3 x 3`), by `kernels`.
    func accumulate(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, images: Int, kernels: ConvolutionKernels = .fastest,
                    into dw: UnsafeMutablePointer<Float>) {
        precondition((1...group).contains(images), "DirectGradientScratch: \(images) images, groups of at most \(group)")
        shears_direct3x3_weight_gradient(x, Int32(images), inputs, height, width, stride, dy, outputs, kernels.rawValue,
                                         scratch, dw)
    }
}
