import Testing
@testable import ShearsNet

/// Winograd F(2x2, 3x3) against the convolution's definition, in Double.
///
/// Error bound. Every output is compared with `τ·S`, where `S = |b| + Σ_c,i,j |w·x|` is the
/// sum of the magnitudes of the direct definition's terms (for ∂x: `Σ_k,i,j |w·∂y|`, for ∂w:
/// `Σ_n,oy,ox |∂y·x|`), and `τ = 4e-6`. Why that value:
/// - A worst-case (Higham-style) bound is useless here: the transforms mix the 16 inputs of a
///   tile, so it has to be stated against the tile's magnitudes, `(C + 10)·u·Σ_c (Σ₁₆|d|)(Σ₉|g|)`
///   with `u = 2⁻²⁴`, about 1e-3·S for C = 128: it would pass a wrong product term.
/// - In practice the rounding errors are independent: Bᵀd B and G g Gᵀ round each value ≤ 4
///   times, the GEMM sums C products per ξ, Aᵀ M A adds 9 M's. The transform-domain values are a
///   small constant times the direct terms (Barabasz et al. 2020, "Error analysis and
///   improving the accuracy of Winograd convolution for deep neural networks", ACM TOMS 46(4),
///   find F(2x2, 3x3) within about 2x of direct convolution's error in float), so the error is
///   a few `u·S` (u ≈ 6e-8) at most. Measured over the shapes below (seeded, 2026-12-01): worst
///   4.8e-7·S, at C = 1 or K = 1 where S has only 9 terms, 0.5–1.9e-7·S elsewhere (∂w: worst
///   2.5e-7·S); the im2col path on the same data: worst 2.1e-7·S.
/// - τ = 4e-6 leaves 8x of margin and still catches any single wrong product: one term is
///   about S/(9·C) ≥ 8e-4·S for C ≤ 128 (flipping one sign in Aᵀ M A fails every shape).
/// A second test uses small integers, for which every step is exact and the results must be
/// equal, not close.
@Suite("Winograd F(2x2, 3x3) against the direct definition")
struct WinogradConvolutionTests {
    static let tolerance = 4e-6

    /// `(C, K, H, W, batch, padding)`: every 3x3 stride-1 conv of vgg-s (28, 14, 7) and
    /// resnet-s, then pruned widths (odd, 1), odd and non-square sizes, and the other paddings.
    static let shapes: [(Int, Int, Int, Int, Int, Int)] = [
        (1, 32, 28, 28, 1, 1), (32, 32, 28, 28, 3, 1), (32, 64, 14, 14, 3, 1), (64, 64, 14, 14, 1, 1),
        (64, 128, 7, 7, 3, 1),
        (1, 16, 28, 28, 3, 1), (16, 16, 28, 28, 1, 1), (32, 32, 14, 14, 1, 1), (64, 64, 7, 7, 3, 1),
        (7, 13, 28, 28, 3, 1), (13, 7, 14, 14, 1, 1), (13, 1, 7, 7, 3, 1), (1, 1, 7, 7, 1, 1), (7, 13, 7, 7, 1, 1),
        (5, 3, 3, 4, 2, 1), (3, 4, 9, 6, 2, 1), (3, 4, 7, 8, 2, 0), (3, 4, 6, 5, 2, 2), (2, 3, 1, 1, 1, 1),
    ]

    /// The layer, set to Winograd, and a seeded input.
    func fixture(_ shape: (Int, Int, Int, Int, Int, Int), seed: UInt64) -> (Conv2D, Tensor) {
        let (c, k, h, w, n, p) = shape
        var rng = SeededGenerator(seed: seed)
        let layer = Conv2D(inChannels: c, outChannels: k, kernelSize: 3, padding: p, rng: &rng)
        layer.algorithm = .winograd
        return (layer, randomTensor([n, c, h, w], seed: seed + 1))
    }

    /// `y = b + Σ w·x` by definition, and `S = |b| + Σ |w·x|`, per output, in Double.
    func forwardDefinition(_ layer: Conv2D, _ x: Tensor) -> (y: [Double], scale: [Double]) {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (f, p) = (layer.outChannels, layer.padding)
        let (ho, wo) = (h + 2 * p - 2, w + 2 * p - 2)
        var y = [Double](repeating: 0, count: n * f * ho * wo), scale = y
        for image in 0..<n {
            for filter in 0..<f {
                for oy in 0..<ho {
                    for ox in 0..<wo {
                        let b = Double(layer.bias.value.values[filter])
                        var (sum, size) = (b, abs(b))
                        for channel in 0..<c {
                            for i in 0..<3 {
                                for j in 0..<3 {
                                    let (iy, ix) = (oy - p + i, ox - p + j)
                                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                    let term = Double(layer.weight.value.values[((filter * c + channel) * 3 + i) * 3 + j])
                                        * Double(x.values[((image * c + channel) * h + iy) * w + ix])
                                    sum += term
                                    size += abs(term)
                                }
                            }
                        }
                        y[((image * f + filter) * ho + oy) * wo + ox] = sum
                        scale[((image * f + filter) * ho + oy) * wo + ox] = size
                    }
                }
            }
        }
        return (y, scale)
    }

    /// `∂x[c][iy][ix] = Σ_k,i,j w[k][c][i][j]·∂y[k][iy + p − i][ix + p − j]` by definition, and its `S`.
    func inputGradientDefinition(_ layer: Conv2D, _ dy: Tensor, inputShape: [Int]) -> (dx: [Double], scale: [Double]) {
        let (n, c, h, w) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        let (f, p, ho, wo) = (layer.outChannels, layer.padding, dy.shape[2], dy.shape[3])
        var dx = [Double](repeating: 0, count: n * c * h * w), scale = dx
        for image in 0..<n {
            for channel in 0..<c {
                for iy in 0..<h {
                    for ix in 0..<w {
                        var (sum, size) = (0.0, 0.0)
                        for filter in 0..<f {
                            for i in 0..<3 {
                                for j in 0..<3 {
                                    let (oy, ox) = (iy + p - i, ix + p - j)
                                    guard oy >= 0, oy < ho, ox >= 0, ox < wo else { continue }
                                    let term = Double(layer.weight.value.values[((filter * c + channel) * 3 + i) * 3 + j])
                                        * Double(dy.values[((image * f + filter) * ho + oy) * wo + ox])
                                    sum += term
                                    size += abs(term)
                                }
                            }
                        }
                        dx[((image * c + channel) * h + iy) * w + ix] = sum
                        scale[((image * c + channel) * h + iy) * w + ix] = size
                    }
                }
            }
        }
        return (dx, scale)
    }

    /// `∂w[k][c][i][j] = Σ_n,oy,ox ∂y[n][k][oy][ox]·x[n][c][oy − p + i][ox − p + j]` by definition, and its `S`.
    func weightGradientDefinition(_ layer: Conv2D, _ x: Tensor, _ dy: Tensor) -> (dw: [Double], scale: [Double]) {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (f, p, ho, wo) = (layer.outChannels, layer.padding, dy.shape[2], dy.shape[3])
        var dw = [Double](repeating: 0, count: f * c * 9), scale = dw
        for filter in 0..<f {
            for channel in 0..<c {
                for i in 0..<3 {
                    for j in 0..<3 {
                        var (sum, size) = (0.0, 0.0)
                        for image in 0..<n {
                            for oy in 0..<ho {
                                for ox in 0..<wo {
                                    let (iy, ix) = (oy - p + i, ox - p + j)
                                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                    let term = Double(dy.values[((image * f + filter) * ho + oy) * wo + ox])
                                        * Double(x.values[((image * c + channel) * h + iy) * w + ix])
                                    sum += term
                                    size += abs(term)
                                }
                            }
                        }
                        dw[((filter * c + channel) * 3 + i) * 3 + j] = sum
                        scale[((filter * c + channel) * 3 + i) * 3 + j] = size
                    }
                }
            }
        }
        return (dw, scale)
    }

    /// Worst `|computed − exact| / S` (S floored at the smallest normal float, for all-zero terms).
    func worstRelative(_ computed: [Float], _ exact: [Double], _ scale: [Double]) -> Double {
        precondition(computed.count == exact.count, "\(computed.count) values against \(exact.count)")
        return zip(computed, zip(exact, scale)).map { abs(Double($0) - $1.0) / max($1.1, 1e-30) }.max() ?? 0
    }

    @Test("forward, ∂x and ∂w are within τ·S of the definition for every 3x3 stride-1 shape of vgg-s and resnet-s",
          arguments: shapes.indices)
    func againstDefinition(index: Int) {
        let shape = Self.shapes[index]
        let (layer, x) = fixture(shape, seed: 40 + UInt64(index))
        #expect(layer.usesWinograd)
        let y = layer.forward(x, training: true)
        let forward = forwardDefinition(layer, x)
        let forwardError = worstRelative(y.values, forward.y, forward.scale)
        #expect(forwardError < Self.tolerance, "shape \(shape): forward error \(forwardError)·S")

        let dy = randomTensor(y.shape, seed: 90 + UInt64(index))
        let dx = layer.backward(dy)
        let gradient = inputGradientDefinition(layer, dy, inputShape: x.shape)
        let gradientError = worstRelative(dx.values, gradient.dx, gradient.scale)
        #expect(gradientError < Self.tolerance, "shape \(shape): ∂x error \(gradientError)·S")
        let weights = weightGradientDefinition(layer, x, dy)
        let weightError = worstRelative(layer.weight.gradient.values, weights.dw, weights.scale)
        #expect(weightError < Self.tolerance, "shape \(shape): ∂w error \(weightError)·S")
    }

    @Test("small integers: every step is exact, so Winograd equals the definition exactly",
          arguments: [(7, 13, 7, 2, 1), (32, 16, 14, 1, 1), (3, 5, 6, 2, 0), (3, 5, 5, 2, 2)])
    func exactIntegers(c: Int, k: Int, h: Int, n: Int, p: Int) {
        // Weights and inputs in −3 ... 3: G g Gᵀ is a multiple of 1/4 below 2⁵, Bᵀ d B an
        // integer below 2⁶, and every sum stays far below 2²⁴ quarters, so nothing rounds.
        var rng = SeededGenerator(seed: 70)
        func integer() -> Float { Float(Int(rng.next() % 7) - 3) }
        let layer = Conv2D(inChannels: c, outChannels: k, kernelSize: 3, padding: p, rng: &rng)
        layer.algorithm = .winograd
        layer.weight.value.values = layer.weight.value.values.map { _ in integer() }
        layer.bias.value.values = layer.bias.value.values.map { _ in integer() }
        let x = Tensor(shape: [n, c, h, h + 1], values: (0..<(n * c * h * (h + 1))).map { _ in integer() })
        let y = layer.forward(x, training: true)
        #expect(y.values.map(Double.init) == forwardDefinition(layer, x).y)
        let dy = Tensor(shape: y.shape, values: y.values.map { _ in integer() })
        let dx = layer.backward(dy)
        #expect(dx.values.map(Double.init) == inputGradientDefinition(layer, dy, inputShape: x.shape).dx)
        #expect(layer.weight.gradient.values.map(Double.init) == weightGradientDefinition(layer, x, dy).dw)
    }

    @Test("groups of images: one image per group gives the same result as one group")
    func groups() {
        let (c, k, h, w, n) = (5, 6, 9, 7, 5)
        let x = randomTensor([n, c, h, w], seed: 81), weights = randomTensor([k, c, 3, 3], seed: 82)
        var convolution = WinogradConvolution(channels: c, filters: k, height: h, width: w, padding: 1)
        var u = [Float](repeating: 0, count: 16 * k * c)
        weights.values.withUnsafeBufferPointer { wb in
            u.withUnsafeMutableBufferPointer { ub in
                WinogradConvolution.transformFilters(wb.baseAddress!, outChannels: k, inChannels: c, adjoint: false,
                                                     into: ub.baseAddress!)
            }
        }
        func run() -> [Float] {
            var y = [Float](repeating: .nan, count: n * k * h * w)
            x.values.withUnsafeBufferPointer { xb in
                u.withUnsafeBufferPointer { ub in
                    y.withUnsafeMutableBufferPointer { yb in
                        convolution.run(xb.baseAddress!, images: n, filters: ub.baseAddress!, start: nil, into: yb.baseAddress!)
                    }
                }
            }
            return y
        }
        let whole = run()
        convolution.tilesPerGroup = 1
        let single = run()
        convolution.tilesPerGroup = 2 * convolution.tilesPerImage
        let pairs = run()
        // The same tiles meet the same GEMM columns' arithmetic; only the column count differs.
        let worst = zip(whole, zip(single, pairs)).map { max(abs($0 - $1.0), abs($0 - $1.1)) }.max() ?? .infinity
        #expect(!whole.contains { $0.isNaN } && worst < 1e-5, "groups differ by \(worst)")
    }

    @Test("the layer: Winograd and im2col agree on outputs and all gradients, with an output offset")
    func layerAgreesWithIm2col() {
        var rng = SeededGenerator(seed: 60)
        let layer = Conv2D(inChannels: 7, outChannels: 5, kernelSize: 3, padding: 1, rng: &rng)
        layer.outputOffset = randomTensor([5, 7, 8], seed: 61)
        let x = randomTensor([3, 7, 7, 8], seed: 62)
        func run(_ algorithm: ConvolutionAlgorithm) -> (y: Tensor, dx: Tensor, dw: [Float], db: [Float]) {
            layer.algorithm = algorithm
            for parameter in layer.parameters { parameter.zeroGradient() }
            let y = layer.forward(x, training: true)
            let dx = layer.backward(randomTensor(y.shape, seed: 63))
            return (y, dx, layer.weight.gradient.values, layer.bias.gradient.values)
        }
        let im2col = run(.im2col), winograd = run(.winograd)
        let worstY = zip(im2col.y.values, winograd.y.values).map { abs($0 - $1) }.max() ?? .infinity
        let worstDx = zip(im2col.dx.values, winograd.dx.values).map { abs($0 - $1) }.max() ?? .infinity
        #expect(im2col.y.shape == winograd.y.shape && worstY < 1e-5, "outputs differ by \(worstY)")
        #expect(im2col.dx.shape == winograd.dx.shape && worstDx < 1e-5, "∂x differ by \(worstDx)")
        let worstDw = zip(im2col.dw, winograd.dw).map { abs($0 - $1) }.max() ?? .infinity
        let worstDb = zip(im2col.db, winograd.db).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worstDw < 1e-4 && worstDb < 1e-4, "∂w differ by \(worstDw), ∂b by \(worstDb)")
    }

    @Test("a Winograd layer gives the same outputs and gradients with 1 and 2 workers")
    func workersAgree() {
        func run(threads: Int) -> (Tensor, Tensor, [Float]) {
            Compute.withWorkers(threads) {
                var rng = SeededGenerator(seed: 68)
                let layer = Conv2D(inChannels: 9, outChannels: 10, kernelSize: 3, padding: 1, rng: &rng)
                let x = randomTensor([37, 9, 7, 7], seed: 69)
                let y = layer.forward(x, training: true)
                let dx = layer.backward(randomTensor(y.shape, seed: 70))
                return (y, dx, layer.weight.gradient.values)
            }
        }
        let single = run(threads: 1), double = run(threads: 2)
        // 37 images of 16 tiles: groups of 16 and 5 images per worker, so a short last group.
        #expect(single.0 == double.0 && single.1 == double.1)
        let worst = zip(single.2, double.2).map { abs($0 - $1) }.max() ?? .infinity
        #expect(!single.0.values.contains { !$0.isFinite } && worst < 1e-3, "weight gradients differ by \(worst)")
    }

    @Test("finite differences agree with a Winograd layer's input, weight and bias gradients", arguments: [0, 1, 2])
    func finiteDifferences(padding: Int) {
        var rng = SeededGenerator(seed: 65)
        let layer = Conv2D(inChannels: 3, outChannels: 2, kernelSize: 3, padding: padding, rng: &rng)
        layer.algorithm = .winograd
        // Linear in input and weights: a large step leaves only rounding (as LayerGradientTests).
        let check = GradientCheck(step: 0.25, tolerance: 2e-3)
        let errors = check.worstError(layer, input: randomTensor([2, 3, 5, 6], seed: 66), seed: 67)
        #expect(layer.usesWinograd && errors.input < check.tolerance && errors.parameters < check.tolerance, "\(errors)")
    }

    @Test("masked, shape-pruned, strided and 5x5 layers keep im2col; automatic picks Winograd only for wide layers on generic GEMM kernels")
    func selection() {
        var rng = SeededGenerator(seed: 64)
        let dense = Conv2D(inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1, rng: &rng)
        #expect(!dense.usesWinograd)
        dense.algorithm = .winograd
        #expect(dense.usesWinograd)
        dense.weight.mask = [Float](repeating: 1, count: dense.weight.value.count)
        #expect(!dense.usesWinograd)
        let pruned = Conv2D(inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1, rng: &rng)
        pruned.algorithm = .winograd
        pruned.patchRows = Array(0..<17)
        let strided = Conv2D(inChannels: 2, outChannels: 3, kernelSize: 3, stride: 2, padding: 1, rng: &rng)
        strided.algorithm = .winograd
        let large = Conv2D(inChannels: 2, outChannels: 3, kernelSize: 5, padding: 2, rng: &rng)
        large.algorithm = .winograd
        #expect(!pruned.usesWinograd && !strided.usesWinograd && !large.usesWinograd)
        let thin = Conv2D(inChannels: 1, outChannels: 32, kernelSize: 3, padding: 1, rng: &rng)
        thin.algorithm = .automatic
        let wide = Conv2D(inChannels: 8, outChannels: 32, kernelSize: 3, padding: 1, rng: &rng)
        wide.algorithm = .automatic
        #expect(!thin.usesWinograd && wide.usesWinograd == Conv2D.gemmRunsGenericKernels)
        #expect(Conv2D.automaticPicksWinograd(inChannels: 8, outChannels: 32, genericGEMM: true))
        #expect(!Conv2D.automaticPicksWinograd(inChannels: 8, outChannels: 32, genericGEMM: false))
        #expect(!Conv2D.automaticPicksWinograd(inChannels: 1, outChannels: 32, genericGEMM: true))
    }
}
