import ShearsNet

/// The oracle on dependency groups: the measured change of the mean calibration loss when
/// channel c of the group alone is removed, `ΔL_c = L(without c) − L` (Molchanov et al. 2017,
/// §2.2, the oracle ranking whose absolute value the Taylor criterion approximates), one pass
/// over the calibration images per channel.
///
/// Removal is simulated by zeroing row c of every producer's weight
/// at once (for a residual stage, the stem or projection and every block's `conv2`), leaving
/// the biases and BatchNorms, so the channel still carries its input-independent constant.
/// That is exactly what `GroupSurgery` computes after folding the constant into the consumers
/// (`DependencyGraphTests.removalEqualsMasking`), so ΔL is the change that pruning the channel
/// causes. `signed` keeps ΔL (`oracle`: channels whose removal lowers the loss go first),
/// otherwise |ΔL| (`oracle-abs`).
public struct OracleGroupCriterion: GroupCriterion {
    /// Above this many groups (channels, or element, kernel and shape groups for
    /// `MaskedOracleCriterion`) one pass over the calibration images per group is impractical.
    public static let maximumGroups = 20_000

    /// Whether a channel scores ΔL (`oracle`) or |ΔL| (`oracle-abs`).
    public let signed: Bool
    public var name: String { signed ? "oracle" : "oracle-abs" }
    public let input = CriterionInput.calibrationImages
    /// Calibration images per forward pass of each loss measurement.
    public let batchSize: Int

    /// `oracle` when `signed`, else `oracle-abs`, reading the calibration images `batchSize` (≥ 1) at a time.
    public init(signed: Bool, batchSize: Int = 128) {
        precondition(batchSize >= 1, "OracleGroupCriterion: batch size \(batchSize)")
        (self.signed, self.batchSize) = (signed, batchSize)
    }

    public func scores(_ network: GraphNetwork, groups: [ChannelGroup], calibration: Dataset?) throws -> [[Double]] {
        guard let data = calibration, data.count > 0 else { throw PruningError.needsCalibration(criterion: name) }
        let total = groups.reduce(0) { $0 + $1.width }
        guard total <= Self.maximumGroups else {
            throw PruningError.tooManyOraclePasses(groups: total, limit: Self.maximumGroups)
        }
        let base = SubsetLoss.meanLoss(network, data: data, batchSize: batchSize)
        return groups.map { group in
            let weights = group.producers.compactMap { network.nodes[$0].layer?.parameters.first }
            return (0..<group.width).map { channel in
                let saved = weights.map { silence(channel, of: $0) }
                let change = SubsetLoss.meanLoss(network, data: data, batchSize: batchSize) - base
                for (weight, row) in zip(weights, saved) {
                    weight.value.values.replaceSubrange(rowRange(channel, of: weight), with: row)
                }
                return signed ? change : abs(change)
            }
        }
    }

    /// Zeroes row `channel` of `weight` and returns what it held.
    func silence(_ channel: Int, of weight: Parameter) -> [Float] {
        let range = rowRange(channel, of: weight)
        let saved = Array(weight.value.values[range])
        for i in range { weight.value.values[i] = 0 }
        return saved
    }

    /// The values of output channel `channel` in a conv's or linear layer's weight.
    func rowRange(_ channel: Int, of weight: Parameter) -> Range<Int> {
        let row = weight.value.itemSize
        return (channel * row)..<((channel + 1) * row)
    }
}
