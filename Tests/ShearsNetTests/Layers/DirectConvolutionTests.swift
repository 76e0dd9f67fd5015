import Testing
@testable import ShearsNet

/// The direct 3x3 convolution (`ConvolutionAlgorithm.direct`) against the definition in
/// Double, within `τ·S` as `KernelRowConvolutionTests` (the same products, summed channel by
/// channel and tap by tap with fused multiply-adds, so the same bound holds); exactly on small
/// integers; and its AVX2 kernels against its plain C loop, bit for bit.
@Suite("Direct 3x3 convolution against the definition")
struct DirectConvolutionTests {
    static let tolerance = 4e-6

    /// `(C, F, H, W, batch)`: vgg-s's and resnet-s's 3x3 convs, pruned and odd widths, 7x7
    /// maps, a first layer, maps whose flat outputs (`H·(W + 1)`) end in a tile of 8, 16 or 24
    /// outputs, down to a 1 x 1 image, and a batch larger than the weight gradient's group of
    /// images (2 on 14 x 14 maps).
    static let shapes: [(Int, Int, Int, Int, Int)] = [
        (32, 32, 28, 28, 2), (32, 64, 14, 14, 2), (64, 64, 14, 14, 1), (64, 128, 7, 7, 3), (16, 16, 28, 28, 1),
        (32, 32, 14, 14, 1), (64, 64, 7, 7, 2), (1, 32, 28, 28, 2), (7, 13, 14, 14, 3), (13, 1, 7, 7, 2),
        (23, 27, 28, 28, 1), (45, 50, 14, 14, 1), (3, 5, 3, 4, 2), (4, 6, 3, 3, 1), (5, 3, 5, 4, 2),
        (2, 3, 1, 1, 1), (3, 2, 2, 1, 2), (4, 7, 1, 9, 1), (4, 6, 14, 14, 6),
    ]

    /// `shapes`, then single-channel images (DirectSingleChannel.c's kernel) with 4k + 1, 2 and 3
    /// filters, rows of one, two and three chunks of 32 columns, and rows of 1, 7, 17 and 35
    /// columns: the shapes of the tests here (the Winograd tests take `shapes` alone).
    static let directShapes = shapes + [(1, 29, 28, 28, 1), (1, 6, 33, 35, 1), (1, 3, 7, 7, 2), (1, 1, 1, 1, 1), (1, 2, 3, 17, 1)]

    func layer(_ shape: (Int, Int, Int, Int, Int), seed: UInt64) -> Conv2D {
        var rng = SeededGenerator(seed: seed)
        let layer = Conv2D(inChannels: shape.0, outChannels: shape.1, kernelSize: 3, padding: 1, rng: &rng)
        layer.algorithm = .direct
        return layer
    }

    @Test("forward, ∂x and ∂w are within τ·S of the definition", arguments: directShapes.indices)
    func againstDefinition(index: Int) {
        let shape = Self.directShapes[index]
        let (c, f, h, w, n) = shape
        let conv = layer(shape, seed: 600 + UInt64(index))
        #expect(conv.usesDirect)
        let result = ConvolutionDefinition.worstErrors(conv, inputShape: [n, c, h, w], inputSeed: 700 + UInt64(index),
                                                       gradientSeed: 800 + UInt64(index))
        let errors = (result.y, result.dx, result.dw)
        #expect(result.shape == [n, f, h, w])
        #expect(errors.0 < Self.tolerance && errors.1 < Self.tolerance && errors.2 < Self.tolerance,
                "shape \(shape): forward, ∂x, ∂w errors \(errors) of S")
    }

    @Test("small integers: every sum is exact, so the direct kernels equal the definition exactly",
          arguments: [0, 3, 7, 12, 15, 20])
    func exactIntegers(index: Int) {
        let shape = Self.directShapes[index]
        let (_, _, h, w, n) = shape
        let conv = layer(shape, seed: 900)
        let (y, dx, _, exact) = ConvolutionDefinition.onSmallIntegers(conv, batch: n, height: h, width: w, seed: 901)
        #expect(y.values.map(Double.init) == exact.y)
        #expect(dx.values.map(Double.init) == exact.dx)
        #expect(conv.weight.gradient.values.map(Double.init) == exact.dw)
    }

    @Test("the AVX2 kernels (AVX-512 on one channel, AVX2 too when capped) give the plain C loop's bits: forward with a start, with and without the ReLU, and ∂W by the AVX2 and AVX-512 tiles",
          arguments: directShapes.indices)
    func fastEqualsPortable(index: Int) {
        let (c, f, h, w, n) = Self.directShapes[index]
        let conv = layer(Self.directShapes[index], seed: 1000 + UInt64(index))
        let x = randomTensor([c, h, w], seed: 1100 + UInt64(index))
        let start = randomTensor([f, h, w], seed: 1200 + UInt64(index)).values
        let packed = conv.directPackedFilters(rotated: false)
        let scratch = DirectScratch(inputs: c, outputs: f, height: h, width: w)
        func run(_ kernels: ConvolutionKernels, relu: Bool) -> [Float] {
            [Float](unsafeUninitializedCapacity: f * h * w) { y, initialized in
                x.values.withUnsafeBufferPointer { image in
                    scratch.convolve(image.baseAddress!, packed, start: start, relu: relu, kernels: kernels, into: y.baseAddress!)
                }
                initialized = f * h * w
            }
        }
        for relu in [false, true] {
            let fast = run(.fastest, relu: relu), portable = run(.portable, relu: relu)
            #expect(fast == portable, "shape \(Self.directShapes[index]), relu \(relu)")
            #expect(run(.avx2, relu: relu) == portable, "shape \(Self.directShapes[index]), relu \(relu), AVX2")
            #expect(!relu || fast.allSatisfy { $0 >= 0 })
        }
        let gradient = DirectGradientScratch(inputs: c, outputs: f, height: h, width: w)
        let images = min(n, gradient.group)
        let xs = randomTensor([images, c, h, w], seed: 1250 + UInt64(index)), dys = randomTensor([images, f, h, w], seed: 1260)
        let portable = Self.weightGradient(gradient, xs, dys, images: images, kernels: .portable)
        #expect(Self.weightGradient(gradient, xs, dys, images: images, kernels: .fastest) == portable,
                "shape \(Self.directShapes[index]): ∂W")
        #expect(Self.weightGradient(gradient, xs, dys, images: images, kernels: .avx2) == portable,
                "shape \(Self.directShapes[index]): ∂W by the AVX2 tiles")
    }

    /// `0.5 + ∂W` of the first `images` of `xs` and `dys` by `kernels` (every weight starts at
    /// 0.5: the kernels must add to `dw`, not overwrite it).
    static func weightGradient(_ gradient: DirectGradientScratch, _ xs: Tensor, _ dys: Tensor, images: Int,
                               kernels: ConvolutionKernels) -> [Float] {
        var dw = [Float](repeating: 0.5, count: Int(gradient.outputs * gradient.inputs) * 9)
        xs.values.withUnsafeBufferPointer { x in
            dys.values.withUnsafeBufferPointer { dy in
                dw.withUnsafeMutableBufferPointer {
                    gradient.accumulate(x.baseAddress!, dy.baseAddress!, images: images, kernels: kernels, into: $0.baseAddress!)
                }
            }
        }
        return dw
    }

    @Test("with an output offset and a mask, direct and im2col agree on outputs and all gradients")
    func agreesWithIm2col() {
        var rng = SeededGenerator(seed: 1300)
        let conv = Conv2D(inChannels: 7, outChannels: 5, kernelSize: 3, padding: 1, rng: &rng)
        conv.outputOffset = randomTensor([5, 7, 8], seed: 1301)
        conv.weight.mask = (0..<conv.weight.value.count).map { $0 % 3 == 0 ? 0 : 1 }
        conv.weight.applyMask()
        let x = randomTensor([3, 7, 7, 8], seed: 1302)
        func run(_ algorithm: ConvolutionAlgorithm, thenReLU: Bool) -> (y: [Float], dx: [Float], dw: [Float], db: [Float]) {
            conv.algorithm = algorithm
            for parameter in conv.parameters { parameter.zeroGradient() }
            let y = conv.forward(x, training: true, thenReLU: thenReLU)
            let dx = conv.backward(randomTensor(y.shape, seed: 1303))
            conv.weight.applyMask()
            return (y.values, dx.values, conv.weight.gradient.values, conv.bias.gradient.values)
        }
        func worst(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? .infinity }
        for thenReLU in [false, true] {
            let im2col = run(.im2col, thenReLU: thenReLU), direct = run(.direct, thenReLU: thenReLU)
            #expect(worst(im2col.y, direct.y) < 1e-5 && worst(im2col.dx, direct.dx) < 1e-5)
            #expect(worst(im2col.dw, direct.dw) < 1e-4 && worst(im2col.db, direct.db) < 1e-4)
        }
    }

    @Test("an image's outputs and input gradient do not depend on its batch or on the workers")
    func sameBitsWhateverTheBatch() {
        func run(images: Range<Int>, threads: Int) -> ([Float], [Float]) {
            Compute.withWorkers(threads) {
                var rng = SeededGenerator(seed: 1400)
                let conv = Conv2D(inChannels: 9, outChannels: 10, kernelSize: 3, padding: 1, rng: &rng)
                conv.algorithm = .direct
                let all = randomTensor([5, 9, 7, 6], seed: 1401), allGradients = randomTensor([5, 10, 7, 6], seed: 1402)
                let (x, dy) = (all.selecting(Array(images), alongAxis: 0), allGradients.selecting(Array(images), alongAxis: 0))
                let y = conv.forward(x, training: true)
                return (y.values, conv.backward(dy).values)
            }
        }
        let whole = run(images: 0..<5, threads: 2), alone = run(images: 3..<4, threads: 1)
        let perImage = 10 * 7 * 6, perInput = 9 * 7 * 6
        #expect(Array(whole.0[(3 * perImage)..<(4 * perImage)]) == alone.0)
        #expect(Array(whole.1[(3 * perInput)..<(4 * perInput)]) == alone.1)
    }

    @Test("under automatic, direct backward (∂X and ∂W) from 4 input channels; all within τ·S of the definition",
          arguments: shapes.indices.filter { shapes[$0].0 >= Conv2D.kernelRowsMinimumChannels })
    func weightGradientUnderAutomatic(index: Int) {
        let shape = Self.shapes[index]
        let (c, _, h, w, n) = shape
        var rng = SeededGenerator(seed: 1700 + UInt64(index))
        let conv = Conv2D(inChannels: c, outChannels: shape.1, kernelSize: 3, padding: 1, rng: &rng)
        #expect(conv.usesDirectBackward == (Conv2D.directKernelsAreFast && !conv.usesWinograd))
        let x = randomTensor([n, c, h, w], seed: 1800 + UInt64(index))
        let y = conv.forward(x, training: true)
        let dy = randomTensor(y.shape, seed: 1900 + UInt64(index))
        let dx = conv.backward(dy)
        let exact = ConvolutionDefinition(conv, x, dy)
        // ∂b[f] = Σ ∂y over images and pixels, and its scale Σ |∂y|.
        var db = [Double](repeating: 0, count: shape.1), dbScale = db
        for (index, value) in dy.values.enumerated() {
            db[(index / (h * w)) % shape.1] += Double(value)
            dbScale[(index / (h * w)) % shape.1] += abs(Double(value))
        }
        let errors = (ConvolutionDefinition.worstRelative(y.values, exact.y, exact.yScale),
                      ConvolutionDefinition.worstRelative(dx.values, exact.dx, exact.dxScale),
                      ConvolutionDefinition.worstRelative(conv.weight.gradient.values, exact.dw, exact.dwScale),
                      ConvolutionDefinition.worstRelative(conv.bias.gradient.values, db, dbScale))
        #expect(errors.0 < Self.tolerance && errors.1 < Self.tolerance && errors.2 < Self.tolerance
                    && errors.3 < Self.tolerance, "shape \(shape): forward, ∂x, ∂w, ∂b errors \(errors) of S")
    }

    @Test("a first layer under automatic (forward direct where fast, backward by im2col, no ∂x) is within τ·S of the definition")
    func firstLayerUnderAutomatic() {
        var rng = SeededGenerator(seed: 1600)
        let conv = Conv2D(inChannels: 1, outChannels: 32, kernelSize: 3, padding: 1, rng: &rng)
        conv.computesInputGradient = false
        #expect(conv.usesDirect == Conv2D.directKernelsAreFast && !conv.usesDirectBackward && !conv.usesKernelRows)
        let x = randomTensor([3, 1, 28, 28], seed: 1601)
        let y = conv.forward(x, training: true)
        let dy = randomTensor(y.shape, seed: 1602)
        let dx = conv.backward(dy)
        let exact = ConvolutionDefinition(conv, x, dy)
        let errors = (ConvolutionDefinition.worstRelative(y.values, exact.y, exact.yScale),
                      ConvolutionDefinition.worstRelative(conv.weight.gradient.values, exact.dw, exact.dwScale))
        #expect(errors.0 < Self.tolerance && errors.1 < Self.tolerance, "forward, ∂w errors \(errors) of S")
        #expect(dx.values.allSatisfy { $0 == 0 })
    }

    @Test("which layers run direct: 3x3, stride 1 (or 2, forward only), padding 1, not shape-pruned; automatic where the kernels are fast, backward from 4 input channels")
    func selection() {
        var rng = SeededGenerator(seed: 1500)
        let dense = Conv2D(inChannels: Conv2D.kernelRowsMinimumChannels, outChannels: 3, kernelSize: 3, padding: 1, rng: &rng)
        #expect(dense.usesDirect == (Conv2D.directKernelsAreFast && !dense.usesWinograd))
        #expect(dense.usesDirectBackward == dense.usesDirect)
        #expect(dense.usesDirect != dense.usesKernelRows || dense.usesWinograd)
        dense.algorithm = .kernelRows
        #expect(!dense.usesDirect && !dense.usesDirectBackward && dense.usesKernelRows)
        let first = Conv2D(inChannels: 1, outChannels: 32, kernelSize: 3, padding: 1, rng: &rng)
        #expect(first.usesDirect == Conv2D.directKernelsAreFast && !first.usesDirectBackward)
        first.algorithm = .direct
        #expect(first.usesDirect && first.usesDirectBackward && !first.usesKernelRows)
        let strided = Conv2D(inChannels: 4, outChannels: 3, kernelSize: 3, stride: 2, padding: 1, rng: &rng)
        strided.algorithm = .direct
        #expect(strided.usesDirect && !strided.usesDirectBackward && strided.usesDirectStridedInputGradient
                    && !strided.usesKernelRows)
        #expect(!dense.usesDirectStridedInputGradient && !first.usesDirectStridedInputGradient)
        let threeStrides = Conv2D(inChannels: 4, outChannels: 3, kernelSize: 3, stride: 3, padding: 1, rng: &rng)
        let unpadded = Conv2D(inChannels: 4, outChannels: 3, kernelSize: 3, padding: 0, rng: &rng)
        let wide = Conv2D(inChannels: 4, outChannels: 3, kernelSize: 5, padding: 2, rng: &rng)
        let pruned = Conv2D(inChannels: 4, outChannels: 3, kernelSize: 3, padding: 1, rng: &rng)
        pruned.patchRows = Array(0..<17)
        for conv in [threeStrides, unpadded, wide, pruned] {
            conv.algorithm = .direct
            #expect(!conv.usesDirect && !conv.usesDirectBackward)
        }
    }
}
