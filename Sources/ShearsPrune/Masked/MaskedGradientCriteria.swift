import ShearsNet

/// `taylor-weight` on element or kernel groups: `|Σ_{q∈group} w_q · ∂L/∂w_q|`, the first-order
/// predicted loss change of zeroing the group, L the mean cross-entropy over the calibration
/// images in evaluation mode (Molchanov et al. 2019; Torch-Pruning's
/// `TaylorImportance(multivariable=True)`) — `GradientCriteria.taylorWeight` on each layer.
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
            GradientCriteria.taylorWeight(weight: $0.weight.value.values, gradient: $0.weight.gradient.values, layout: $0.layout)
        }
    }
}

/// Optimal Brain Damage on element or kernel groups (LeCun, Denker & Solla 1990: the saliency
/// is the diagonal second-order term of the loss change, `δE ≈ ½ Σ_q h_qq δw_q²`, at
/// `δw_q = −w_q`):
///
///     s_group = ½ Σ_{q∈group} h_qq w_q²,   h_qq ≈ (1/N) Σ_n (∂ℓ_n/∂w_q)²,
///
/// the empirical Fisher diagonal over the N calibration examples from per-example gradients in
/// evaluation mode, exactly as the VGG `obd` (`ObdCriterion`, `.empiricalFisher`) defines it;
/// the diagonal is `ObdGroupCriterion`'s and the saliency `ObdCriterion.saliencies`.
public struct MaskedObdCriterion: MaskedCriterion {
    public let name = "obd"
    public let input = CriterionInput.calibrationImages
    /// Calibration images per forward and backward pass; the per-example gradients are read from each pass.
    public let batchSize: Int

    /// The criterion, reading the calibration images `batchSize` (≥ 1) at a time.
    public init(batchSize: Int = 128) {
        precondition(batchSize >= 1, "MaskedObdCriterion: batch size \(batchSize)")
        self.batchSize = batchSize
    }

    public func scores(_ network: GraphNetwork, layers: [MaskedLayer], calibration: Dataset?) throws -> [[Double]] {
        guard let data = calibration, data.count > 0 else { throw PruningError.needsCalibration(criterion: name) }
        let diagonal = ObdGroupCriterion(batchSize: batchSize).fisherDiagonal(network, producers: Set(layers.map(\.node)),
                                                                              data: data)
        return layers.map { layer in
            guard let h = diagonal[layer.node] else { preconditionFailure("MaskedObdCriterion: no diagonal for \(layer.name)") }
            return ObdCriterion.saliencies(weight: layer.weight.value.values, diagonal: h, layout: layer.layout)
        }
    }
}
