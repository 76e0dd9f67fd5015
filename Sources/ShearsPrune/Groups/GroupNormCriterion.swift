import ShearsNet

/// l_p norm of each channel's weights, summed over the group's producers:
/// `s_c = Σ_producers ‖W_p[c]‖_p` (Li et al. 2017, "Pruning Filters for Efficient ConvNets",
/// §3.1, use p = 1 on one filter's kernel weights; a coupled group sums its producers).
/// `p = 0` counts the row's non-zero weights and `p = ∞` takes its largest |w| (`groupNorm`), so a channel of a coupled group scores the sum of its
/// producers' counts or maxima.
/// Torch-Pruning's `MagnitudeImportance` also counts the consumers' input weights and the
/// BatchNorm scales of the group; this criterion reads the producers' filters only.
public struct GroupNormCriterion: GroupCriterion {
    /// The norm's order, p in [0, ∞]: 0 counts non-zeros, 1 and 2 are the `l1` and `l2`
    /// criteria, `.infinity` the largest |w|.
    public let p: Double
    /// The `CriterionName` spelling of the norm: `l0`, `l1`, `l2`, `linf`, or `lp:<p>`.
    public var name: String { CriterionName.norm(p: p).description }
    public let input = CriterionInput.weights

    /// The l_p criterion; p < 0 or NaN is a programmer error.
    public init(p: Double) {
        precondition(p >= 0, "GroupNormCriterion: p must be in [0, inf], got \(p)")
        self.p = p
    }

    public func scores(_ network: GraphNetwork, groups: [ChannelGroup], calibration: Dataset?) throws -> [[Double]] {
        groups.map { group in
            var scores = [Double](repeating: 0, count: group.width)
            for producer in group.producers {
                guard let weight = network.nodes[producer].layer?.parameters.first?.value else { continue }
                let row = weight.itemSize
                for channel in 0..<group.width {
                    scores[channel] += groupNorm(weight.values, indices: (channel * row)..<((channel + 1) * row), p: p)
                }
            }
            return scores
        }
    }
}
