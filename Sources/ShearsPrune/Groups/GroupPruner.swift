import ShearsNet

/// Prunes any graph network through its dependency groups with any `GroupCriterion`.
public enum GroupPruner {
    /// One group's change: named by its first producer.
    public struct Change: Sendable, Equatable {
        /// Name of the group's first producer node.
        public let group: String
        /// Channels before pruning (the group's width).
        public let before: Int
        /// Channels kept: at least one, and at least `minimumKeep` of `before`.
        public let after: Int
    }

    /// Removes the lowest-scored `ratio` of the channels of the prunable groups at
    /// `granularity` (filter, channel or neuron: `ChannelGroup.belongs(to:)`) that `criterion`
    /// applies to (rounded down; ties go to the lower index), never leaving a group below
    /// `minimumKeep` of its width nor below one channel. `ranking` says how the channels are
    /// shared out: `.perLayer` the same share of every group; `.global` one ranking of all
    /// channels by l2-normalised scores (Molchanov et al. 2017, §2.3; the random baseline's as
    /// they are); `.hessian` each group's share from its consumers' curvature
    /// (`GroupHessianAllocation`, on `calibration`). Scores are computed once, on the unpruned
    /// network. The consumers are repaired first by `compensation`, or by the criterion's
    /// `definingCompensation` when it is nil, fitted on `calibration` (and `pool`), OBS's
    /// damped by `obsDamping`.
    public static func prune(_ network: GraphNetwork, criterion: any GroupCriterion, ratio: Double, minimumKeep: Double = 0,
                             granularity: Granularity = .filter, ranking: Ranking = .perLayer, calibration: Dataset? = nil,
                             compensation: Compensation? = nil,
                             pool: Dataset? = nil,
                             obsDamping: Double = OptimalBrainSurgeon.defaultRelativeDamping) throws -> [Change] {
        guard ratio >= 0, ratio < 1 else { throw PruningError.ratioOutOfRange(ratio) }
        precondition((0...1).contains(minimumKeep), "GroupPruner.prune: minimumKeep \(minimumKeep) outside [0, 1]")
        if ranking == .hessian && calibration == nil { throw PruningError.needsCalibration(criterion: "Hessian-aware ranking") }
        let repair = try repairing(compensation ?? criterion.definingCompensation, calibration: calibration, pool: pool,
                                   damping: obsDamping)
        let (groups, scores) = try scoredGroups(network, criterion: criterion, granularity: granularity, calibration: calibration)
        let candidates = zip(groups, scores).map { group, groupScores in
            Array(lowestFirst(groupScores).dropLast(max(1, Int((minimumKeep * Double(group.width)).rounded(.up)))))
        }
        let removals: [[Int]]
        switch ranking {
        case .perLayer:
            removals = zip(candidates, groups).map { Array($0.prefix(Int((ratio * Double($1.width)).rounded(.down)))) }
        case .hessian:
            let shares = try GroupHessianAllocation.shares(network, groups: groups, ratio: ratio, data: calibration!)
            removals = zip(candidates, zip(groups, shares)).map { Array($0.prefix(Int(($1.1 * Double($1.0.width)).rounded(.down)))) }
        case .global:
            // Every channel saves one "unit": the global ranking's first ratio·Σ width candidates.
            let total = Int((ratio * Double(groups.reduce(0) { $0 + $1.width })).rounded(.down))
            removals = globalRemovals(candidates, scores: scores, comparable: criterion.scoresComparableAcrossGroups,
                                      groups: groups, savings: groups.map { _ in 1 }, macsToSave: total)
        }
        let changes = zip(groups, removals).map { group, removed in
            Change(group: network.nodes[group.producers[0]].name, before: group.width, after: group.width - removed.count)
        }
        try remove(removals, from: groups, in: network, repair: repair)
        return changes
    }

    /// The prunable groups at `granularity` that `criterion` applies to, in order, and their scores,
    /// checked: one finite score per channel, calibration images present when the criterion reads them.
    /// What pruning ranks, for a caller that only reads or compares the scores (`shears scores`, `correlate`).
    public static func scoredGroups(_ network: GraphNetwork, criterion: any GroupCriterion, granularity: Granularity,
                                    calibration: Dataset?) throws -> (groups: [ChannelGroup], scores: [[Double]]) {
        if criterion.input == .calibrationImages && calibration == nil { throw PruningError.needsCalibration(criterion: criterion.name) }
        let groups = try DependencyGraph(network.specification).prunableGroups(at: granularity).filter(criterion.applies)
        guard !groups.isEmpty else {
            throw PruningError.granularityNotApplicable(granularity, layer: "the network",
                                                        reason: "criterion '\(criterion.name)' applies to none of its groups")
        }
        let scores = try criterion.scores(network, groups: groups, calibration: calibration)
        precondition(scores.count == groups.count && zip(scores, groups).allSatisfy { $0.count == $1.width },
                     "criterion '\(criterion.name)' returned scores of the wrong shape")
        for (group, groupScores) in zip(groups, scores) {
            let bad = groupScores.filter { !$0.isFinite }.count
            guard bad == 0 else {
                throw PruningError.nonFiniteScores(criterion: criterion.name, layer: network.nodes[group.producers[0]].name,
                                                   count: bad, groups: group.width)
            }
        }
        return (groups, scores)
    }

    /// The repair `method` fitted on `calibration`, nil for `.none`; throws when it needs calibration images and has none.
    static func repairing(_ method: Compensation, calibration: Dataset?, pool: Dataset?,
                          damping: Double) throws -> GroupCompensation? {
        guard method != .none else { return nil }
        guard let calibration, calibration.count > 0 else { throw PruningError.needsCalibration(criterion: "compensation \(method.rawValue)") }
        return GroupCompensation(method, images: calibration, pool: pool, damping: damping)
    }

    /// Removes channels `removals[i]` of `groups[i]` (each group keeps at least one) together,
    /// as masking them all at once would, after `repair` has refitted their consumers.
    static func remove(_ removals: [[Int]], from groups: [ChannelGroup], in network: GraphNetwork,
                       repair: GroupCompensation? = nil) throws {
        try repair?.apply(removing: removals, of: groups, in: network)
        let kept = zip(groups, removals).map { group, removed in
            let removedSet = Set(removed)
            return (0..<group.width).filter { !removedSet.contains($0) }
        }
        try GroupSurgery.keep(kept, of: groups, in: network)
    }
}
