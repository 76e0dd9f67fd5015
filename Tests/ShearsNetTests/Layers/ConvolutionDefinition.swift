@testable import ShearsNet

/// A stride-1 convolution whose output is as large as its input (padding `(k − 1)/2`),
/// computed from its definition in Double, with `S` per entry, the sum of the magnitudes of
/// its terms: `y = b + Σ w·x`, `∂x[c][y][x] = Σ w·∂y` over the outputs that read the pixel,
/// `∂w[f][c][i][j] = Σ ∂y·x` over images and outputs. The reference of the kernel-row and
/// direct convolution tests.
struct ConvolutionDefinition {
    var y, yScale, dx, dxScale, dw, dwScale: [Double]

    init(_ layer: Conv2D, _ x: Tensor, _ dy: Tensor) {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (f, k, p) = (layer.outChannels, layer.kernelHeight, layer.padding)
        let weights = layer.weight.value.values.map(Double.init), inputs = x.values.map(Double.init)
        let upstream = dy.values.map(Double.init)
        y = [Double](repeating: 0, count: n * f * h * w)
        dx = [Double](repeating: 0, count: x.count)
        dw = [Double](repeating: 0, count: weights.count)
        (yScale, dxScale, dwScale) = (y, dx, dw)
        for image in 0..<n {
            for filter in 0..<f {
                for oy in 0..<h {
                    for ox in 0..<w {
                        let out = ((image * f + filter) * h + oy) * w + ox
                        y[out] = Double(layer.bias.value.values[filter])
                        yScale[out] = abs(y[out])
                        for channel in 0..<c {
                            for i in 0..<k {
                                for j in 0..<k {
                                    let (iy, ix) = (oy - p + i, ox - p + j)
                                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                    let wi = ((filter * c + channel) * k + i) * k + j
                                    let xi = ((image * c + channel) * h + iy) * w + ix
                                    y[out] += weights[wi] * inputs[xi]
                                    yScale[out] += abs(weights[wi] * inputs[xi])
                                    dx[xi] += weights[wi] * upstream[out]
                                    dxScale[xi] += abs(weights[wi] * upstream[out])
                                    dw[wi] += upstream[out] * inputs[xi]
                                    dwScale[wi] += abs(upstream[out] * inputs[xi])
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// One forward and backward pass of `conv` on small integers (weights, bias, input and
    /// output gradient in −3…3, seeded), where every sum is exact: the results, with the
    /// definition, must then equal it exactly.
    static func onSmallIntegers(_ conv: Conv2D, batch n: Int, height h: Int, width w: Int, seed: UInt64)
        -> (y: Tensor, dx: Tensor, dy: Tensor, exact: ConvolutionDefinition) {
        var rng = SeededGenerator(seed: seed)
        func integer() -> Float { Float(Int(rng.next() % 7) - 3) }
        conv.weight.value.values = conv.weight.value.values.map { _ in integer() }
        conv.bias.value.values = conv.bias.value.values.map { _ in integer() }
        let c = conv.inChannels
        let x = Tensor(shape: [n, c, h, w], values: (0..<(n * c * h * w)).map { _ in integer() })
        let y = conv.forward(x, training: true)
        let dy = Tensor(shape: y.shape, values: y.values.map { _ in integer() })
        let dx = conv.backward(dy)
        return (y, dx, dy, ConvolutionDefinition(conv, x, dy))
    }

    /// One forward and backward pass of `conv` on a seeded random batch of `inputShape` and a
    /// seeded random output gradient: the output's shape and the worst errors of `y`, `∂x` and
    /// `∂w` against the definition, in units of their `S`.
    static func worstErrors(_ conv: Conv2D, inputShape: [Int], inputSeed: UInt64, gradientSeed: UInt64)
        -> (shape: [Int], y: Double, dx: Double, dw: Double) {
        let x = randomTensor(inputShape, seed: inputSeed)
        let y = conv.forward(x, training: true)
        let dy = randomTensor(y.shape, seed: gradientSeed)
        let dx = conv.backward(dy)
        let exact = ConvolutionDefinition(conv, x, dy)
        return (y.shape, worstRelative(y.values, exact.y, exact.yScale), worstRelative(dx.values, exact.dx, exact.dxScale),
                worstRelative(conv.weight.gradient.values, exact.dw, exact.dwScale))
    }

    /// Worst `|computed − exact| / S` (S floored at the smallest normal float, for all-zero terms).
    static func worstRelative(_ computed: [Float], _ exact: [Double], _ scale: [Double]) -> Double {
        precondition(computed.count == exact.count, "\(computed.count) values against \(exact.count)")
        return zip(computed, zip(exact, scale)).map { abs(Double($0) - $1.0) / max($1.1, 1e-30) }.max() ?? 0
    }
}
