import Testing
@testable import ShearsNet

/// The convolution checked against its definition, with plain loops: gradient checks alone
/// would pass a wrong im2col, since forward and backward share it.
@Suite("Conv2D against the direct definition")
struct ConvDefinitionTests {
    /// `y[n][f][oy][ox] = b[f] + Σ_c,i,j w[f][c][i][j] · x[n][c][oy·s − p + i][ox·s − p + j]`
    /// (zero outside the image), in Double.
    func direct(_ layer: Conv2D, _ x: Tensor) -> [Double] {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (f, k, s, p) = (layer.outChannels, layer.kernelHeight, layer.stride, layer.padding)
        let (ho, wo) = ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1)
        var y = [Double](repeating: 0, count: n * f * ho * wo)
        for image in 0..<n {
            for filter in 0..<f {
                for oy in 0..<ho {
                    for ox in 0..<wo {
                        var sum = Double(layer.bias.value.values[filter])
                        for channel in 0..<c {
                            for i in 0..<k {
                                for j in 0..<k {
                                    let (iy, ix) = (oy * s - p + i, ox * s - p + j)
                                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                    sum += Double(layer.weight.value.values[((filter * c + channel) * k + i) * k + j])
                                        * Double(x.values[((image * c + channel) * h + iy) * w + ix])
                                }
                            }
                        }
                        y[((image * f + filter) * ho + oy) * wo + ox] = sum
                    }
                }
            }
        }
        return y
    }

    @Test("forward equals the definition, and backward's ∂x equals its adjoint ⟨∂y, y(x)⟩ per input",
          arguments: [(3, 1, 1), (5, 1, 2), (3, 1, 0), (3, 2, 1), (1, 1, 0), (3, 1, 2), (2, 1, 1)])
    func definition(kernel: Int, stride: Int, padding: Int) {
        var rng = SeededGenerator(seed: 31)
        let layer = Conv2D(inChannels: 3, outChannels: 4, kernelSize: kernel, stride: stride, padding: padding, rng: &rng)
        expectDefinition(layer, randomTensor([2, 3, 7, 5], seed: 32))
    }

    /// A kernel offset past a 1- or 2-pixel-wide map's right edge even at the first output once
    /// read a neighbouring pixel at stride > 1 (Swift's division truncates toward zero).
    @Test("im2col at strides 2 and 3 on maps narrower than the kernel's reach equals the definition",
          arguments: [(3, 2, 1, 1, 1), (3, 2, 1, 2, 1), (3, 2, 1, 1, 3), (5, 3, 2, 2, 2), (3, 3, 1, 1, 4)])
    func narrowMaps(kernel: Int, stride: Int, padding: Int, height: Int, width: Int) {
        var rng = SeededGenerator(seed: 34)
        let layer = Conv2D(inChannels: 3, outChannels: 4, kernelSize: kernel, stride: stride, padding: padding, rng: &rng)
        layer.algorithm = .im2col
        expectDefinition(layer, randomTensor([2, 3, height, width], seed: 35))
    }

    /// Stride-2 layers on maps up to 23 pixels wide, odd and even sides (the last
    /// column read or not), 3x3 and 1x1 (a shortcut's), by im2col in both passes.
    @Test("im2col at stride 2 on wider maps, odd and even sides, 3x3 and 1x1, equals the definition",
          arguments: [(3, 1, 8, 8), (3, 1, 9, 17), (1, 0, 8, 16), (3, 1, 7, 23)])
    func stride2Gather(kernel: Int, padding: Int, height: Int, width: Int) {
        var rng = SeededGenerator(seed: 36)
        let layer = Conv2D(inChannels: 3, outChannels: 4, kernelSize: kernel, stride: 2, padding: padding, rng: &rng)
        layer.algorithm = .im2col
        expectDefinition(layer, randomTensor([2, 3, height, width], seed: 37))
    }

    func expectDefinition(_ layer: Conv2D, _ x: Tensor) {
        let y = layer.forward(x, training: true)
        let expected = direct(layer, x)
        let worst = zip(y.values, expected).map { abs(Double($0) - $1) }.max() ?? .infinity
        #expect(y.count == expected.count && worst < 1e-5, "worst deviation \(worst)")

        // ∂x_q = Σ ∂y · ∂y/∂x_q; y is affine in x, so ∂y/∂x_q = y(e_q) − y(0), by definition.
        let upstream = randomTensor(y.shape, seed: 33)
        let dx = layer.backward(upstream)
        let zero = direct(layer, Tensor(shape: x.shape))
        var worstGradient = 0.0
        for q in 0..<x.count {
            var unit = Tensor(shape: x.shape)
            unit.values[q] = 1
            let response = direct(layer, unit)
            let exact = zip(upstream.values, zip(response, zero)).reduce(0.0) { $0 + Double($1.0) * ($1.1.0 - $1.1.1) }
            worstGradient = max(worstGradient, abs(Double(dx.values[q]) - exact))
        }
        #expect(worstGradient < 1e-5, "worst ∂x deviation \(worstGradient)")
    }
}
