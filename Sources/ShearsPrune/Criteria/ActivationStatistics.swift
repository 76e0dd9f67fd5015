import ShearsNet

/// Per-unit statistics of post-ReLU activations `z` and of `z ⊙ ∂ℓ/∂z`, gathered over a data
/// subset in evaluation mode, for the activation-based criteria.
///
/// A unit is a conv filter (statistics over images and positions) or a hidden neuron
/// (over images). `∂ℓ/∂z` is the per-example gradient of the cross-entropy, i.e. N times the
/// gradient of the batch-mean loss (in evaluation mode examples do not interact).
struct ActivationStatistics {
    /// Σ z, Σ z², number of zeros, Σ z·∂ℓ/∂z over examples and positions, per unit.
    var sum: [Double], squares: [Double], zeros: [Double], taylor: [Double]
    /// Σ over examples of |mean over positions of z·∂ℓ_n/∂z|, per unit.
    var taylorPerExample: [Double]
    /// Values seen per unit (examples x positions) and examples seen.
    var count: Double = 0, examples: Double = 0
    /// Values per example (H·W for a filter, 1 for a neuron).
    let perExample: Int

    init(units: Int, perExample: Int) {
        let zero = [Double](repeating: 0, count: units)
        (sum, squares, zeros, taylor, taylorPerExample) = (zero, zero, zero, zero, zero)
        self.perExample = perExample
    }

    /// Adds Σ z, Σ z² and the zeros of every unit, read as `units` consecutive blocks of
    /// `perExample` values from value `first` of each example of `z` (0 when `z` holds only
    /// these units; a group's place in a concatenated or flattened tensor otherwise).
    mutating func addMoments(of z: Tensor, from first: Int = 0) {
        let (units, itemSize, batch) = (sum.count, z.itemSize, z.shape[0])
        precondition(first >= 0 && first + units * perExample <= itemSize,
                     "ActivationStatistics: \(units) units of \(perExample) from \(first) in items of \(itemSize)")
        z.values.withUnsafeBufferPointer { values in
            for n in 0..<batch {
                for unit in 0..<units {
                    let base = n * itemSize + first + unit * perExample
                    var s = 0.0, s2 = 0.0, zero = 0.0
                    for q in base..<(base + perExample) {
                        let value = Double(values[q])
                        s += value
                        s2 += value * value
                        if value == 0 { zero += 1 }
                    }
                    sum[unit] += s
                    squares[unit] += s2
                    zeros[unit] += zero
                }
            }
        }
        count += Double(batch * perExample)
        examples += Double(batch)
    }

    /// Adds the moments of `z` (which holds exactly these units) and its Taylor terms
    /// `z·∂ℓ_n/∂z`, `g` being the gradient of the batch-mean loss over `batchSize` examples.
    mutating func add(activation z: Tensor, gradient g: Tensor, batchSize: Int) {
        addMoments(of: z)
        let units = sum.count
        for n in 0..<z.shape[0] {
            for unit in 0..<units {
                let base = (n * units + unit) * perExample
                var t = 0.0
                for q in base..<(base + perExample) { t += Double(z.values[q]) * Double(g.values[q]) * Double(batchSize) }
                taylor[unit] += t
                taylorPerExample[unit] += abs(t) / Double(perExample)
            }
        }
    }

    var mean: [Double] { sum.map { $0 / count } }
    var standardDeviation: [Double] {
        zip(sum, squares).map { s, s2 in max(0, s2 / count - (s / count) * (s / count)).squareRoot() }
    }
    var apoz: [Double] { zeros.map { $0 / count } }
    /// Molchanov et al. 2017, eq. 8, "computed for each example separately and averaged
    /// over T": `(1/N) Σ_n |(1/M) Σ_m z_{n,m} · ∂ℓ_n/∂z_{n,m}|` over the N examples and the
    /// M positions of the unit's feature map.
    var taylorPerExampleMagnitude: [Double] { taylorPerExample.map { $0 / max(1, examples) } }
    /// `|(1/(N·M)) Σ_{n,m} z·∂ℓ_n/∂z|`: the absolute value taken *after* averaging over the
    /// examples (criterion `taylor-batch`), so effects of opposite sign cancel across examples.
    var taylorBatchMagnitude: [Double] { taylor.map { abs($0 / count) } }
}
