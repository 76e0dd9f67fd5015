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
