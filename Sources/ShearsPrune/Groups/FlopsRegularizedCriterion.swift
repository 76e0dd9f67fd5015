import ShearsNet

/// FLOPs regularisation (Molchanov et al. 2017, eq. 9) of any group criterion:
/// `Θ − λ · GFLOPs(channel)`, so that among similarly important channels the expensive ones go
/// first. A channel's GFLOPs per image are 2 × the MACs its removal saves (one output channel
/// of every producer and its input slice of every consumer, `ChannelGroup.macsPerChannel`)
/// / 1e9, so λ has a readable scale. Regularised scores are ranked as the base criterion's
/// would be (l2-normalised per group for global ranking).
public struct FlopsRegularizedCriterion: GroupCriterion {
    /// The criterion whose scores are regularised.
    public let base: any GroupCriterion
    /// λ, in importance per GFLOP.
    public let lambda: Double

    /// `base` regularised by `lambda`, which must be finite and ≥ 0 (a precondition).
    public init(_ base: any GroupCriterion, lambda: Double) {
        precondition(lambda >= 0 && lambda.isFinite, "FLOPs regularisation: λ = \(lambda)")
        self.base = base
        self.lambda = lambda
    }

    /// The base criterion's name: regularisation does not rename it.
    public var name: String { base.name }
    /// What the base criterion reads (the FLOPs come from the graph).
    public var input: CriterionInput { base.input }
    /// As the base criterion's scores.
    public var scoresComparableAcrossGroups: Bool { base.scoresComparableAcrossGroups }
    /// The base criterion's own repair.
    public var definingCompensation: Compensation { base.definingCompensation }
    /// Where the base criterion applies.
    public func applies(to group: ChannelGroup) -> Bool { base.applies(to: group) }

    /// The base criterion's scores minus λ · the group's GFLOPs per image.
    public func scores(_ network: GraphNetwork, groups: [ChannelGroup], calibration: Dataset?) throws -> [[Double]] {
        let raw = try base.scores(network, groups: groups, calibration: calibration)
        return try zip(raw, groups).map { scores, group in
            let macs = try group.macsPerChannel(in: network.specification)
            return scores.map { $0 - lambda * 2 * Double(macs) / 1e9 }
        }
    }
}
