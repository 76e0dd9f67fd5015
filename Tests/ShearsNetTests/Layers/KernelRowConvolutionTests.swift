import Testing
@testable import ShearsNet

/// Convolution by kernel rows (`ConvolutionAlgorithm.kernelRows`) against the definition, in
/// Double. The products are im2col's, summed in another order, so the error bound is the
/// im2col path's: every output within `τ·S` of the definition, `S` the sum of the magnitudes
/// of its terms, `τ = 4e-6` (as `WinogradConvolutionTests`, whose note explains the value;
/// one wrong or missing term is at least `S/(kh·kw·C)`, far above it). On small integers
/// every sum is exact, and the results must equal the definition.
@Suite("Convolution by kernel rows against the direct definition")
struct KernelRowConvolutionTests {
    static let tolerance = 4e-6

    /// `(C, F, H, W, batch, kernel)` with padding `(kernel − 1)/2`: vgg-s's and resnet-s's 3x3
    /// convs, pruned widths, 1x1 and 5x5 kernels, and images narrower than the kernel.
    static let shapes: [(Int, Int, Int, Int, Int, Int)] = [
        (1, 32, 28, 28, 2, 3), (32, 32, 28, 28, 2, 3), (32, 64, 14, 14, 3, 3), (64, 64, 14, 14, 1, 3),
        (64, 128, 7, 7, 3, 3), (16, 16, 28, 28, 1, 3), (32, 32, 14, 14, 1, 3), (64, 64, 7, 7, 2, 3),
        (7, 13, 14, 14, 3, 3), (13, 1, 7, 7, 2, 3),
        (3, 4, 9, 6, 2, 5), (3, 4, 2, 1, 2, 5), (2, 3, 1, 1, 1, 3), (4, 5, 6, 7, 2, 1), (3, 2, 4, 3, 2, 7),
    ]

    func layer(_ shape: (Int, Int, Int, Int, Int, Int), seed: UInt64) -> Conv2D {
        let (c, f, _, _, _, k) = shape
        var rng = SeededGenerator(seed: seed)
        let layer = Conv2D(inChannels: c, outChannels: f, kernelSize: k, padding: (k - 1) / 2, rng: &rng)
        layer.algorithm = .kernelRows
        return layer
    }

    @Test("forward, ∂x and ∂w are within τ·S of the definition", arguments: shapes.indices)
    func againstDefinition(index: Int) {
        let shape = Self.shapes[index]
        let (_, _, h, w, n, _) = shape
        let conv = layer(shape, seed: 200 + UInt64(index))
        #expect(conv.usesKernelRows)
        let result = ConvolutionDefinition.worstErrors(conv, inputShape: [n, conv.inChannels, h, w], inputSeed: 300 + UInt64(index),
                                                       gradientSeed: 400 + UInt64(index))
        let errors = (result.y, result.dx, result.dw)
        #expect(result.shape == [n, conv.outChannels, h, w])
        #expect(errors.0 < Self.tolerance && errors.1 < Self.tolerance && errors.2 < Self.tolerance,
                "shape \(shape): forward, ∂x, ∂w errors \(errors) of S")
    }

    @Test("small integers: every sum is exact, so kernel rows equal the definition exactly",
          arguments: [0, 4, 10, 11])
    func exactIntegers(index: Int) {
        let shape = Self.shapes[index]
        let (_, _, h, w, n, _) = shape
        let conv = layer(shape, seed: 500)
        let (y, dx, dy, exact) = ConvolutionDefinition.onSmallIntegers(conv, batch: n, height: h, width: w, seed: 501)
        #expect(y.values.map(Double.init) == exact.y)
        #expect(dx.values.map(Double.init) == exact.dx)
        #expect(conv.weight.gradient.values.map(Double.init) == exact.dw)
        #expect(conv.bias.gradient.values.map(Double.init)
                == (0..<conv.outChannels).map { filter in
                    (0..<n).reduce(0.0) { sum, image in
                        sum + dy.values[((image * conv.outChannels + filter) * h * w)..<((image * conv.outChannels + filter + 1) * h * w)]
                            .reduce(0.0) { $0 + Double($1) }
                    }
                })
    }

    @Test("with an output offset and a mask, kernel rows and im2col agree on outputs and all gradients")
    func agreesWithIm2col() {
        var rng = SeededGenerator(seed: 510)
        let conv = Conv2D(inChannels: 7, outChannels: 5, kernelSize: 3, padding: 1, rng: &rng)
        conv.outputOffset = randomTensor([5, 7, 8], seed: 511)
        conv.weight.mask = (0..<conv.weight.value.count).map { $0 % 3 == 0 ? 0 : 1 }
        conv.weight.applyMask()
        let x = randomTensor([3, 7, 7, 8], seed: 512)
        func run(_ algorithm: ConvolutionAlgorithm) -> (y: [Float], dx: [Float], dw: [Float], db: [Float]) {
            conv.algorithm = algorithm
            for parameter in conv.parameters { parameter.zeroGradient() }
            let y = conv.forward(x, training: true)
            let dx = conv.backward(randomTensor(y.shape, seed: 513))
            conv.weight.applyMask()
            return (y.values, dx.values, conv.weight.gradient.values, conv.bias.gradient.values)
        }
        let im2col = run(.im2col), rows = run(.kernelRows)
        func worst(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? .infinity }
        #expect(worst(im2col.y, rows.y) < 1e-5 && worst(im2col.dx, rows.dx) < 1e-5)
        #expect(worst(im2col.dw, rows.dw) < 1e-4 && worst(im2col.db, rows.db) < 1e-4)
    }

    @Test("a first layer (no input gradient) returns zeros for ∂x and the same ∂w and ∂b")
    func withoutInputGradient() {
        var rng = SeededGenerator(seed: 540)
        let conv = Conv2D(inChannels: 5, outChannels: 6, kernelSize: 3, padding: 1, rng: &rng)
        conv.algorithm = .kernelRows
        let x = randomTensor([3, 5, 6, 7], seed: 541), dy = randomTensor([3, 6, 6, 7], seed: 542)
        func run(inputGradient: Bool) -> ([Float], [Float], [Float]) {
            conv.computesInputGradient = inputGradient
            for parameter in conv.parameters { parameter.zeroGradient() }
            _ = conv.forward(x, training: true)
            let dx = conv.backward(dy)
            return (dx.values, conv.weight.gradient.values, conv.bias.gradient.values)
        }
        let full = run(inputGradient: true), first = run(inputGradient: false)
        #expect(full.0.contains { $0 != 0 } && first.0.allSatisfy { $0 == 0 })
        #expect(full.1 == first.1 && full.2 == first.2)
    }

    @Test("1 and 2 workers give the same outputs and input gradients")
    func workersAgree() {
        func run(threads: Int) -> ([Float], [Float], [Float]) {
            Compute.withWorkers(threads) {
                var rng = SeededGenerator(seed: 520)
                let conv = Conv2D(inChannels: 9, outChannels: 10, kernelSize: 3, padding: 1, rng: &rng)
                conv.algorithm = .kernelRows
                let x = randomTensor([5, 9, 7, 6], seed: 521)
                let y = conv.forward(x, training: true)
                let dx = conv.backward(randomTensor(y.shape, seed: 522))
                return (y.values, dx.values, conv.weight.gradient.values)
            }
        }
        let single = run(threads: 1), double = run(threads: 2)
        #expect(single.0 == double.0 && single.1 == double.1)
        let worst = zip(single.2, double.2).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-4, "weight gradients differ by \(worst)")
    }

    @Test("which layers use kernel rows: stride 1 and an output as wide as the input, not shape-pruned; automatic uses them from 4 input channels where Winograd is not picked")
    func selection() {
        var rng = SeededGenerator(seed: 530)
        let dense = Conv2D(inChannels: Conv2D.kernelRowsMinimumChannels, outChannels: 3, kernelSize: 3, padding: 1, rng: &rng)
        #expect(dense.usesKernelRows == !(dense.usesWinograd || dense.usesDirect))
        dense.algorithm = .im2col
        #expect(!dense.usesKernelRows)
        let first = Conv2D(inChannels: 1, outChannels: 32, kernelSize: 3, padding: 1, rng: &rng)
        #expect(!first.usesKernelRows)
        first.algorithm = .kernelRows
        #expect(first.usesKernelRows)
        let strided = Conv2D(inChannels: 2, outChannels: 3, kernelSize: 3, stride: 2, padding: 1, rng: &rng)
        let narrower = Conv2D(inChannels: 2, outChannels: 3, kernelSize: 3, padding: 0, rng: &rng)
        let pruned = Conv2D(inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1, rng: &rng)
        pruned.patchRows = Array(0..<17)
        for conv in [strided, narrower, pruned] {
            conv.algorithm = .kernelRows
            #expect(!conv.usesKernelRows)
        }
        let pointwise = Conv2D(inChannels: 4, outChannels: 3, kernelSize: 1, rng: &rng)
        #expect(pointwise.usesKernelRows)
    }
}
