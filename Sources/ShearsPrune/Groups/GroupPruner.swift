import ShearsNet

/// Prunes any graph network through its dependency groups with any `GroupCriterion`.
public enum GroupPruner {
    /// One group's change: named by its first producer.
    public struct Change: Sendable, Equatable {
        public let group: String
        public let before: Int
        public let after: Int
    }

    /// Removes the lowest-scored `ratio` of the channels of every prunable group `criterion`
    /// applies to (rounded down; ties go to the lower index), never leaving a group below
    /// `minimumKeep` of its width nor below one channel. Scores are computed once, on the
    /// unpruned network.
    public static func prune(_ network: GraphNetwork, criterion: any GroupCriterion, ratio: Double, minimumKeep: Double = 0,
                             calibration: Dataset? = nil) throws -> [Change] {
        guard ratio >= 0, ratio < 1 else { throw PruningError.ratioOutOfRange(ratio) }
        precondition((0...1).contains(minimumKeep), "GroupPruner.prune: minimumKeep \(minimumKeep) outside [0, 1]")
        if criterion.input == .calibrationImages && calibration == nil { throw PruningError.needsCalibration(criterion: criterion.name) }
        let groups = try DependencyGraph(network.specification).prunableGroups.filter(criterion.applies)
        guard !groups.isEmpty else {
            throw PruningError.granularityNotApplicable(.filter, layer: "the network", reason: "criterion '\(criterion.name)' applies to none of its groups")
        }
        let scores = try criterion.scores(network, groups: groups, calibration: calibration)
        precondition(scores.count == groups.count && zip(scores, groups).allSatisfy { $0.count == $1.width },
                     "criterion '\(criterion.name)' returned scores of the wrong shape")
        var changes: [Change] = []
        var plans: [(producer: Int, kept: [Int])] = []
        for (group, groupScores) in zip(groups, scores) {
            let name = network.nodes[group.producers[0]].name
            let bad = groupScores.filter { !$0.isFinite }.count
            guard bad == 0 else {
                throw PruningError.nonFiniteScores(criterion: criterion.name, layer: name, count: bad, groups: group.width)
            }
            let floor = max(1, Int((minimumKeep * Double(group.width)).rounded(.up)))
            let removing = min(Int((ratio * Double(group.width)).rounded(.down)), group.width - floor)
            let removed = Set(groupScores.indices.sorted { (groupScores[$0], $0) < (groupScores[$1], $1) }.prefix(removing))
            plans.append((group.producers[0], (0..<group.width).filter { !removed.contains($0) }))
            changes.append(Change(group: name, before: group.width, after: group.width - removing))
        }
        for plan in plans {
            // Widths and concat offsets change as groups shrink: re-derive the group each time.
            let current = try DependencyGraph(network.specification).groups.first { $0.producers.first == plan.producer }!
            try GroupSurgery.keep(plan.kept, of: current, in: network)
        }
        return changes
    }
}
