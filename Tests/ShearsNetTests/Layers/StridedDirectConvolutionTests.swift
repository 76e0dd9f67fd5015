import Testing
@testable import ShearsNet

/// The direct 3x3 kernels at stride 2 (the forward pass over the input's four row and column
/// phases, `∂X` as four small correlations of `∂Y`, one per phase of `∂X`): outputs, `∂X` and
/// `∂W` against the definition in Double within `τ·S` (the same products summed channel by
/// channel and tap by tap with fused multiply-adds, so `DirectConvolutionTests`'s bound holds),
/// the AVX2 kernels against the plain C loop bit for bit (and the weight gradient's AVX-512
/// tiles), pooled outputs against `MaxPool2D`, and `∂b` as im2col's.
@Suite("Direct 3x3 convolution at stride 2")
struct StridedDirectConvolutionTests {
    /// `(C, F, H, W, batch)`: resnet-s's two stride-2 3x3 convs (28 x 28 → 14 x 14, 14 x 14 →
    /// 7 x 7) and a pruned width of each, odd maps (7 x 7 → 4 x 4, 5 x 3), maps whose flat outputs
    /// (`Ho·(Wo + 1)`) end in a tile of 8, 16 or 24, and 1 x 1 and 2 x 2 images.
    static let shapes: [(Int, Int, Int, Int, Int)] = [
        (16, 32, 28, 28, 2), (32, 64, 14, 14, 2), (9, 17, 28, 28, 1), (23, 45, 14, 14, 1), (7, 5, 7, 7, 3),
        (3, 4, 5, 3, 2), (2, 3, 1, 1, 1), (4, 6, 2, 2, 1), (5, 9, 6, 9, 1), (13, 1, 8, 7, 1), (6, 7, 30, 11, 1),
    ]

    func layer(_ shape: (Int, Int, Int, Int, Int), seed: UInt64) -> Conv2D {
        var rng = SeededGenerator(seed: seed)
        let layer = Conv2D(inChannels: shape.0, outChannels: shape.1, kernelSize: 3, stride: 2, padding: 1, rng: &rng)
        layer.algorithm = .direct
        return layer
    }

    /// The definition in Double, with `S` per entry (the sum of its terms' magnitudes):
    /// `y[n][f][oy][ox] = start[f][oy][ox] + Σ_c,i,j w[f][c][i][j]·x[n][c][2oy + i − 1][2ox + j − 1]`,
    /// `∂x` the sum of `w·∂y` over the outputs that read a pixel, `∂w[f][c][i][j] = Σ ∂y·x`.
    struct Definition {
        var y, yScale, dx, dxScale, dw, dwScale: [Double]
    }

    func definition(_ conv: Conv2D, _ x: Tensor, start: [Float], dy: Tensor) -> Definition {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (f, ho, wo) = (conv.outChannels, (h - 1) / 2 + 1, (w - 1) / 2 + 1)
        var y = [Double](repeating: 0, count: n * f * ho * wo), scale = y
        var dx = [Double](repeating: 0, count: x.count), dxScale = dx
        var dw = [Double](repeating: 0, count: conv.weight.value.count), dwScale = dw
        for image in 0..<n {
            for filter in 0..<f {
                for oy in 0..<ho {
                    for ox in 0..<wo {
                        let out = ((image * f + filter) * ho + oy) * wo + ox
                        y[out] = Double(start[(filter * ho + oy) * wo + ox])
                        scale[out] = abs(y[out])
                        for channel in 0..<c {
                            for i in 0..<3 {
                                for j in 0..<3 {
                                    let (iy, ix) = (2 * oy + i - 1, 2 * ox + j - 1)
                                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                    let wi = ((filter * c + channel) * 3 + i) * 3 + j, xi = ((image * c + channel) * h + iy) * w + ix
                                    let (weight, input) = (Double(conv.weight.value.values[wi]), Double(x.values[xi]))
                                    let upstream = Double(dy.values[out])
                                    y[out] += weight * input
                                    scale[out] += abs(weight * input)
                                    dx[xi] += weight * upstream
                                    dxScale[xi] += abs(weight * upstream)
                                    dw[wi] += upstream * input
                                    dwScale[wi] += abs(upstream * input)
                                }
                            }
                        }
                    }
                }
            }
        }
        return Definition(y: y, yScale: scale, dx: dx, dxScale: dxScale, dw: dw, dwScale: dwScale)
    }

    @Test("forward, ∂x and ∂w are within τ·S of the definition, with an output offset", arguments: shapes.indices)
    func againstDefinition(index: Int) {
        let shape = Self.shapes[index]
        let (c, f, h, w, n) = shape
        let conv = layer(shape, seed: 2000 + UInt64(index))
        let (ho, wo) = ((h - 1) / 2 + 1, (w - 1) / 2 + 1)
        conv.outputOffset = randomTensor([f, ho, wo], seed: 2100 + UInt64(index))
        #expect(conv.usesDirect && !conv.usesDirectBackward && conv.usesDirectStridedInputGradient)
        let x = randomTensor([n, c, h, w], seed: 2200 + UInt64(index))
        let y = conv.forward(x, training: true)
        let dy = randomTensor(y.shape, seed: 2250 + UInt64(index))
        let dx = conv.backward(dy)
        let exact = definition(conv, x, start: conv.startValues(conv.geometry(x.shape)), dy: dy)
        #expect(y.shape == [n, f, ho, wo])
        let errors = (ConvolutionDefinition.worstRelative(y.values, exact.y, exact.yScale),
                      ConvolutionDefinition.worstRelative(dx.values, exact.dx, exact.dxScale),
                      ConvolutionDefinition.worstRelative(conv.weight.gradient.values, exact.dw, exact.dwScale))
        let tolerance = DirectConvolutionTests.tolerance
        #expect(errors.0 < tolerance && errors.1 < tolerance && errors.2 < tolerance,
                "shape \(shape): forward, ∂x, ∂w errors \(errors) of S")
    }

    @Test("the AVX2 kernels give the plain C loop's bits: with a start, with and without the ReLU, pooled, and ∂x",
          arguments: shapes.indices)
    func fastEqualsPortable(index: Int) {
        let (c, f, h, w, _) = Self.shapes[index]
        let conv = layer(Self.shapes[index], seed: 2300 + UInt64(index))
        let (ho, wo) = ((h - 1) / 2 + 1, (w - 1) / 2 + 1)
        let x = randomTensor([c, h, w], seed: 2400 + UInt64(index))
        let start = randomTensor([f, ho, wo], seed: 2500 + UInt64(index)).values
        let packed = conv.directPackedFilters(rotated: false)
        let scratch = DirectScratch(inputs: c, outputs: f, height: h, width: w, stride: 2)
        func run(_ kernels: ConvolutionKernels, relu: Bool, pooled: Bool) -> [Float] {
            let count = pooled ? f * (ho / 2) * (wo / 2) : f * ho * wo
            return [Float](unsafeUninitializedCapacity: count) { y, initialized in
                x.values.withUnsafeBufferPointer { image in
                    scratch.convolve(image.baseAddress!, packed, start: start, relu: relu, pooled: pooled, kernels: kernels,
                                     into: y.baseAddress!)
                }
                initialized = count
            }
        }
        for relu in [false, true] {
            let fast = run(.fastest, relu: relu, pooled: false), portable = run(.portable, relu: relu, pooled: false)
            #expect(fast == portable, "shape \(Self.shapes[index]), relu \(relu)")
            #expect(!relu || fast.allSatisfy { $0 >= 0 })
        }
        let dy = randomTensor([f, ho, wo], seed: 2550 + UInt64(index))
        let rotated = conv.directPackedFilters(rotated: true)
        let gradient = DirectStridedGradientScratch(filters: f, channels: c, height: h, width: w)
        func inputGradient(portable: Bool) -> [Float] {
            [Float](unsafeUninitializedCapacity: c * h * w) { dx, initialized in
                dy.values.withUnsafeBufferPointer { gradient.inputGradient($0.baseAddress!, rotated, portable: portable,
                                                                            into: dx.baseAddress!) }
                initialized = c * h * w
            }
        }
        #expect(inputGradient(portable: false) == inputGradient(portable: true), "shape \(Self.shapes[index]): ∂x")
        guard ho >= 2 && wo >= 2 else { return }
        let pooled = run(.fastest, relu: true, pooled: true)
        #expect(pooled == run(.portable, relu: true, pooled: true), "shape \(Self.shapes[index]), pooled")
        let unpooled = Tensor(shape: [1, f, ho, wo], values: run(.fastest, relu: true, pooled: false))
        #expect(pooled == MaxPool2D(size: 2).forward(unpooled, training: false).values, "shape \(Self.shapes[index]), pooled")
    }

    @Test("∂b of a direct stride-2 layer is im2col's, bit for bit, and ∂W within τ·S of it; without ∂x, zeros")
    func gradientsAgainstIm2col() {
        let shape = Self.shapes[1]
        let (direct, im2col) = (layer(shape, seed: 2600), layer(shape, seed: 2600))
        im2col.algorithm = .im2col
        let x = randomTensor([2, shape.0, shape.2, shape.3], seed: 2601)
        let dy = randomTensor([2, shape.1, 7, 7], seed: 2602)
        _ = direct.forward(x, training: true)
        _ = im2col.forward(x, training: true)
        direct.computesInputGradient = false
        #expect(direct.backward(dy).values.allSatisfy { $0 == 0 })
        _ = im2col.backward(dy)
        #expect(direct.bias.gradient.values == im2col.bias.gradient.values)
        let exact = definition(direct, x, start: direct.startValues(direct.geometry(x.shape)), dy: dy)
        let errors = (ConvolutionDefinition.worstRelative(direct.weight.gradient.values, exact.dw, exact.dwScale),
                      ConvolutionDefinition.worstRelative(im2col.weight.gradient.values, exact.dw, exact.dwScale))
        #expect(errors.0 < DirectConvolutionTests.tolerance && errors.1 < DirectConvolutionTests.tolerance, "∂w errors \(errors)")
    }

    @Test("the stride-2 weight gradient's AVX-512 and AVX2 tiles give the plain C loop's bits", arguments: shapes.indices)
    func weightGradientKernels(index: Int) {
        let (c, f, h, w, n) = Self.shapes[index]
        let (ho, wo) = ((h - 1) / 2 + 1, (w - 1) / 2 + 1)
        let gradient = DirectGradientScratch(inputs: c, outputs: f, height: h, width: w, stride: 2)
        let images = min(n + 1, gradient.group)
        let xs = randomTensor([images, c, h, w], seed: 2700 + UInt64(index))
        let dys = randomTensor([images, f, ho, wo], seed: 2750 + UInt64(index))
        let portable = DirectConvolutionTests.weightGradient(gradient, xs, dys, images: images, kernels: .portable)
        #expect(DirectConvolutionTests.weightGradient(gradient, xs, dys, images: images, kernels: .fastest) == portable,
                "shape \(Self.shapes[index]): ∂W")
        #expect(DirectConvolutionTests.weightGradient(gradient, xs, dys, images: images, kernels: .avx2) == portable,
                "shape \(Self.shapes[index]): ∂W by the AVX2 tiles")
    }
}
