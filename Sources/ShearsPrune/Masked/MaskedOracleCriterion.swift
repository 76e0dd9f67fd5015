import ShearsNet

/// The oracle on element, kernel or shape groups of a graph network: the measured change of
/// the mean calibration loss when the group alone is removed, `ΔL = L(without group) − L`
/// (Molchanov et al. 2017, §2.2), one pass over the calibration images per group.
///
/// Removal is simulated by zeroing the group's weights, which is exactly what a mask (element, kernel) or removing
/// a GEMM column (shape) computes, and restored after each pass. `signed` keeps ΔL (`oracle`:
/// groups whose removal lowers the loss go first), otherwise |ΔL| (`oracle-abs`). Networks
/// with more than `OracleGroupCriterion.maximumGroups` groups at the granularity are refused: one
/// pass per weight of resnet-s would be 270,000 passes.
public struct MaskedOracleCriterion: MaskedCriterion {
    /// Whether a group scores ΔL (`oracle`) or |ΔL| (`oracle-abs`).
    public let signed: Bool
    public var name: String { signed ? "oracle" : "oracle-abs" }
    public let input = CriterionInput.calibrationImages
    /// Calibration images per forward pass of each loss measurement.
    public let batchSize: Int

    /// `oracle` when `signed`, else `oracle-abs`, reading the calibration images `batchSize` (≥ 1) at a time.
    public init(signed: Bool, batchSize: Int = 128) {
        precondition(batchSize >= 1, "MaskedOracleCriterion: batch size \(batchSize)")
        (self.signed, self.batchSize) = (signed, batchSize)
    }

    public func scores(_ network: GraphNetwork, layers: [MaskedLayer], calibration: Dataset?) throws -> [[Double]] {
        guard let data = calibration, data.count > 0 else { throw PruningError.needsCalibration(criterion: name) }
        let total = layers.reduce(0) { $0 + $1.layout.groupCount }
        guard total <= OracleGroupCriterion.maximumGroups else {
            throw PruningError.tooManyOraclePasses(groups: total, limit: OracleGroupCriterion.maximumGroups)
        }
        let base = SubsetLoss.meanLoss(network, data: data, batchSize: batchSize)
        return layers.map { layer in
            (0..<layer.layout.groupCount).map { group in
                let indices = layer.layout.indices(group)
                let saved = indices.map { layer.weight.value.values[$0] }
                for i in indices { layer.weight.value.values[i] = 0 }
                let change = SubsetLoss.meanLoss(network, data: data, batchSize: batchSize) - base
                for (i, value) in zip(indices, saved) { layer.weight.value.values[i] = value }
                return signed ? change : abs(change)
            }
        }
    }
}
