import ShearsNet

/// `taylor-weight` on element or kernel groups: `|Σ_{q∈group} w_q · ∂L/∂w_q|`, the first-order
/// predicted loss change of zeroing the group, L the mean cross-entropy over the calibration
/// images in evaluation mode (Molchanov et al. 2019; Torch-Pruning's
/// `TaylorImportance(multivariable=True)`).
public struct MaskedTaylorWeightCriterion: MaskedCriterion {
    public let name = "taylor-weight"
    public let input = CriterionInput.calibrationImages
    /// Calibration images per forward and backward pass; the scores do not depend on it.
    public let batchSize: Int

    /// The criterion, reading the calibration images `batchSize` (≥ 1) at a time.
    public init(batchSize: Int = 128) {
        precondition(batchSize >= 1, "MaskedTaylorWeightCriterion: batch size \(batchSize)")
        self.batchSize = batchSize
    }

    public func scores(_ network: GraphNetwork, layers: [MaskedLayer], calibration: Dataset?) throws -> [[Double]] {
        guard let data = calibration, data.count > 0 else { throw PruningError.needsCalibration(criterion: name) }
        SubsetLoss.accumulateGradients(network, data: data, batchSize: batchSize)
        defer { network.zeroGradients() }
        return layers.map {
            $0.layout.weightGradientProducts(weight: $0.weight.value.values, gradient: $0.weight.gradient.values).map(abs)
        }
    }
}

/// Optimal Brain Damage on element, kernel, shape or input-channel groups (LeCun, Denker &
/// Solla 1990: the saliency is the diagonal second-order term of the loss change,
/// `δE ≈ ½ Σ_q h_qq δw_q²`, eq. 1's diagonal, priced at `δw_q = −w_q`):
///
///     s_group = ½ Σ_{q∈group} h_qq w_q²,
///
/// with, for `obd`, the empirical Fisher diagonal `h_qq ≈ (1/N) Σ_n (∂ℓ_n/∂w_q)²` over the N
/// calibration examples from per-example gradients in evaluation mode (`ObdGroupCriterion`'s
/// diagonal), and for `obd-exact` the Gauss–Newton diagonal of the mean cross-entropy, the
/// exact Hessian diagonal of a piecewise-linear network (`ObdExactGroupCriterion`'s diagonal).
public struct MaskedObdCriterion: MaskedCriterion {
    /// `obd` (empirical Fisher diagonal) or `obd-exact` (Gauss–Newton diagonal).
    public var name: String { exact ? "obd-exact" : "obd" }
    public let input = CriterionInput.calibrationImages
    /// Whether the diagonal is the exact (Gauss–Newton) one rather than the empirical Fisher.
    public let exact: Bool
    /// Calibration images per forward and backward pass; the per-example gradients are read from each pass.
    public let batchSize: Int

    /// `obd`, or `obd-exact` when `exact`, reading the calibration images `batchSize` (≥ 1) at a time.
    public init(exact: Bool = false, batchSize: Int = 128) {
        precondition(batchSize >= 1, "MaskedObdCriterion: batch size \(batchSize)")
        (self.exact, self.batchSize) = (exact, batchSize)
    }

    public func scores(_ network: GraphNetwork, layers: [MaskedLayer], calibration: Dataset?) throws -> [[Double]] {
        guard let data = calibration, data.count > 0 else { throw PruningError.needsCalibration(criterion: name) }
        let nodes = Set(layers.map(\.node))
        let diagonal = exact
            ? ObdExactGroupCriterion(batchSize: batchSize).hessianDiagonal(network, producers: nodes, data: data)
            : ObdGroupCriterion(batchSize: batchSize).fisherDiagonal(network, producers: nodes, data: data)
        return layers.map { layer in
            guard let h = diagonal[layer.node] else { preconditionFailure("MaskedObdCriterion: no diagonal for \(layer.name)") }
            return Self.saliencies(weight: layer.weight.value.values, diagonal: h, layout: layer.layout)
        }
    }

    /// `½ Σ_{q∈group} h_qq w_q²` for every group of one layer, `h` the Hessian diagonal in the weight's layout
    /// (`layout` must describe both).
    static func saliencies(weight w: [Float], diagonal h: [Double], layout: GroupLayout) -> [Double] {
        (0..<layout.groupCount).map { group in
            layout.indices(group).reduce(0.0) { $0 + h[$1] * Double(w[$1]) * Double(w[$1]) } / 2
        }
    }
}

/// `taylor-sq` on element, kernel, shape or input-channel groups (Molchanov et al. 2019,
/// "Importance Estimation for Neural Network Pruning", §3, eqs. 7–8):
///
///     I_S = (1/B) Σ_b (Σ_{s∈S} w_s g_s^(b))²,
///
/// `g^(b)` the gradient of minibatch b's mean loss over the calibration images in minibatches
/// of 64 (`WeightTaylorGroupCriterion.squaredFormMinibatch`), in evaluation mode; S the
/// group's weights (no bias: only a whole filter or neuron has one).
public struct MaskedTaylorSquaredCriterion: MaskedCriterion {
    public let name = "taylor-sq"
    public let input = CriterionInput.calibrationImages
    /// Images per minibatch whose squared sums are averaged: part of the definition.
    public let minibatch: Int

    /// The criterion over minibatches of `minibatch` (≥ 1) images.
    public init(minibatch: Int = WeightTaylorGroupCriterion.squaredFormMinibatch) {
        precondition(minibatch >= 1, "MaskedTaylorSquaredCriterion: minibatch \(minibatch)")
        self.minibatch = minibatch
    }

    public func scores(_ network: GraphNetwork, layers: [MaskedLayer], calibration: Dataset?) throws -> [[Double]] {
        guard let data = calibration, data.count > 0 else { throw PruningError.needsCalibration(criterion: name) }
        var sums = layers.map { [Double](repeating: 0, count: $0.layout.groupCount) }
        var batches = 0
        defer { network.zeroGradients() }
        var start = 0
        while start < data.count {
            let end = min(data.count, start + minibatch)
            let (images, labels) = data.batch(Array(start..<end)[...])
            network.zeroGradients()
            _ = network.backward(CrossEntropy(logits: network.forward(images, training: false), labels: labels).gradient)
            for (index, layer) in layers.enumerated() {
                let gates = layer.layout.weightGradientProducts(weight: layer.weight.value.values,
                                                                gradient: layer.weight.gradient.values)
                for (group, s) in gates.enumerated() { sums[index][group] += s * s }
            }
            batches += 1
            start = end
        }
        return sums.map { $0.map { $0 / Double(batches) } }
    }
}
