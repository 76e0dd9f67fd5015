import ShearsNet

/// Per-unit statistics of post-ReLU activations `z` and of `z ⊙ ∂ℓ/∂z`, gathered over a data
/// subset in evaluation mode, for the activation-based criteria.
///
/// A unit is a conv filter (statistics over images and positions) or a hidden neuron
/// (over images). `∂ℓ/∂z` is the per-example gradient of the cross-entropy, i.e. N times the
/// gradient of the batch-mean loss.
struct ActivationStatistics {
    /// Σ z, Σ z², number of zeros, Σ z·∂ℓ/∂z, and the count of values, per unit.
    var sum: [Double], squares: [Double], zeros: [Double], taylor: [Double]
    var count: Double = 0
    /// Values per example (H·W for a filter, 1 for a neuron).
    let perExample: Int

    init(units: Int, perExample: Int) {
        (sum, squares, zeros, taylor) = (Array(repeating: 0, count: units), Array(repeating: 0, count: units),
                                         Array(repeating: 0, count: units), Array(repeating: 0, count: units))
        self.perExample = perExample
    }

    mutating func add(activation z: Tensor, gradient g: Tensor, batchSize: Int) {
        let units = sum.count
        for n in 0..<z.shape[0] {
            for unit in 0..<units {
                let base = (n * units + unit) * perExample
                var s = 0.0, s2 = 0.0, zero = 0.0, t = 0.0
                for q in base..<(base + perExample) {
                    let value = Double(z.values[q])
                    s += value
                    s2 += value * value
                    if value == 0 { zero += 1 }
                    t += value * Double(g.values[q]) * Double(batchSize)
                }
                sum[unit] += s
                squares[unit] += s2
                zeros[unit] += zero
                taylor[unit] += t
            }
        }
        count += Double(z.shape[0] * perExample)
    }

    var mean: [Double] { sum.map { $0 / count } }
    var standardDeviation: [Double] {
        zip(sum, squares).map { s, s2 in max(0, s2 / count - (s / count) * (s / count)).squareRoot() }
    }
    var apoz: [Double] { zeros.map { $0 / count } }
    /// |mean of z·∂ℓ/∂z| over examples and positions (Molchanov et al. 2017, eq. 8).
    var taylorMagnitude: [Double] { taylor.map { abs($0 / count) } }
}
