@testable import ShearsNet

/// Central finite differences against a layer's analytic gradients.
///
/// The scalar probed is `L = Σ r ⊙ layer(x)` with a fixed random `r`, so `∂L/∂y = r`.
/// Sums are taken in Double; `step` is large for layers linear in what is perturbed (the
/// difference quotient is then exact up to rounding) and small for piecewise-linear ones.
struct GradientCheck {
    var step: Float
    var tolerance: Double

    /// Worst `|numeric − analytic| / max(1, |analytic|)` over inputs and every parameter entry.
    func worstError(_ layer: Layer, input: Tensor, seed: UInt64) -> (input: Double, parameters: Double) {
        var rng = SeededGenerator(seed: seed)
        let probe = Tensor(shape: layer.outputShape(for: input.shape),
                           values: (0..<layer.outputShape(for: input.shape).reduce(1, *)).map { _ in rng.nextGaussian() })
        for p in layer.parameters { p.zeroGradient() }
        _ = layer.forward(input, training: true)
        let inputGradient = layer.backward(probe)
        let analyticParameters = layer.parameters.map(\.gradient.values)

        func loss(_ x: Tensor) -> Double {
            let y = layer.forward(x, training: true)
            return zip(y.values, probe.values).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        var worstInput = 0.0
        for i in 0..<input.count {
            var plus = input, minus = input
            plus.values[i] += step
            minus.values[i] -= step
            let numeric = (loss(plus) - loss(minus)) / (2 * Double(step))
            worstInput = max(worstInput, relativeError(numeric, Double(inputGradient.values[i])))
        }
        var worstParameter = 0.0
        for (p, analytic) in zip(layer.parameters, analyticParameters) {
            for i in 0..<p.value.count {
                let saved = p.value.values[i]
                p.value.values[i] = saved + step
                let up = loss(input)
                p.value.values[i] = saved - step
                let down = loss(input)
                p.value.values[i] = saved
                worstParameter = max(worstParameter, relativeError((up - down) / (2 * Double(step)), Double(analytic[i])))
            }
        }
        return (worstInput, worstParameter)
    }

    private func relativeError(_ numeric: Double, _ analytic: Double) -> Double {
        abs(numeric - analytic) / max(1, abs(analytic))
    }
}

func randomTensor(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    return Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in rng.nextGaussian() })
}
