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

    /// Removes the lowest-scored `ratio` of the channels of every prunable group `criterion`
    /// applies to (rounded down; ties go to the lower index), never leaving a group below
    /// `minimumKeep` of its width nor below one channel. Scores are computed once, on the
    /// unpruned network. The consumers are repaired first by `compensation`, or by the
    /// criterion's `definingCompensation` when it is nil, fitted on
    /// `calibration` (and `pool`), OBS's damped by `obsDamping`.
    public static func prune(_ network: GraphNetwork, criterion: any GroupCriterion, ratio: Double, minimumKeep: Double = 0,
                             calibration: Dataset? = nil, compensation: Compensation? = nil, pool: Dataset? = nil,
                             obsDamping: Double = OptimalBrainSurgeon.defaultRelativeDamping) throws -> [Change] {
        guard ratio >= 0, ratio < 1 else { throw PruningError.ratioOutOfRange(ratio) }
        precondition((0...1).contains(minimumKeep), "GroupPruner.prune: minimumKeep \(minimumKeep) outside [0, 1]")
        let repair = try repairing(compensation ?? criterion.definingCompensation, calibration: calibration, pool: pool,
                                   damping: obsDamping)
        let (groups, scores) = try scoredGroups(network, criterion: criterion, calibration: calibration)
        let removals = zip(groups, scores).map { group, groupScores in
            let floor = max(1, Int((minimumKeep * Double(group.width)).rounded(.up)))
            let removing = min(Int((ratio * Double(group.width)).rounded(.down)), group.width - floor)
            return Array(lowestFirst(groupScores).prefix(removing))
        }
        let changes = zip(groups, removals).map { group, removed in
            Change(group: network.nodes[group.producers[0]].name, before: group.width, after: group.width - removed.count)
        }
        try remove(removals, from: groups, in: network, repair: repair)
        return changes
    }

    /// The prunable groups `criterion` applies to and their scores, checked: one finite
    /// score per channel, calibration images present when the criterion reads them.
    static func scoredGroups(_ network: GraphNetwork, criterion: any GroupCriterion,
                             calibration: Dataset?) throws -> (groups: [ChannelGroup], scores: [[Double]]) {
        if criterion.input == .calibrationImages && calibration == nil { throw PruningError.needsCalibration(criterion: criterion.name) }
        let groups = try DependencyGraph(network.specification).prunableGroups.filter(criterion.applies)
        guard !groups.isEmpty else {
            throw PruningError.granularityNotApplicable(.filter, layer: "the network", reason: "criterion '\(criterion.name)' applies to none of its groups")
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

    /// Removes channels `removals[i]` of `groups[i]` (each group keeps at least one), after
    /// `repair` has refitted their consumers.
    static func remove(_ removals: [[Int]], from groups: [ChannelGroup], in network: GraphNetwork,
                       repair: GroupCompensation? = nil) throws {
        try repair?.apply(removing: removals, of: groups, in: network)
        for (group, removed) in zip(groups, removals) where !removed.isEmpty {
            let removedSet = Set(removed)
            // Widths and concat offsets change as groups shrink: re-derive the group each time.
            let current = try DependencyGraph(network.specification).groups.first { $0.producers.first == group.producers[0] }!
            try GroupSurgery.keep((0..<group.width).filter { !removedSet.contains($0) }, of: current, in: network)
        }
    }
}
