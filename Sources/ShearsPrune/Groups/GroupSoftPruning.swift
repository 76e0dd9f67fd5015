import ShearsNet

/// Soft filter pruning on dependency groups (He et al. 2018, "Soft Filter Pruning for
/// Accelerating Deep Convolutional Neural Networks", §3: zeroed filters keep training and
/// may come back), the `soft` schedule of every curve.
extension GroupPruner {
    /// Zeroes the weights of the lowest-scored channels of the groups at `granularity` (filter,
    /// channel or neuron) that `criterion` applies to
    /// until their estimated saving reaches `network`'s FLOPs (2 x MACs) minus `targetFlops`,
    /// removing nothing; returns the zeroed channels keyed by each group's first producer's name.
    ///
    /// The choice is `prune(_:toFlops:…)`'s first round: the same scores, per-channel savings,
    /// floors (`floors[first producer's name]`, 1 when absent) and global or per-layer ranking. Only
    /// row c of every producer's *weight* is set to 0: the producers' biases and the group's BatchNorm γ and β stay, so a zeroed channel
    /// still carries its constant until `prune` removes it (and folds that constant). Called
    /// again after training steps, the choice is made afresh, so a channel that grew back can
    /// stay.
    @discardableResult
    public static func zeroLowest(_ network: GraphNetwork, toFlops targetFlops: Int, criterion: any GroupCriterion,
                                  granularity: Granularity = .filter, ranking: Ranking, floors: [String: Int] = [:],
                                  calibration: Dataset? = nil) throws -> [String: [Int]] {
        guard ranking != .hessian else {
            throw PruningError.granularityNotApplicable(granularity, layer: "a FLOPs target",
                                                        reason: "Hessian-aware shares are by groups; use global or per-layer")
        }
        let current = 2 * (try network.specification.macs())
        guard current > targetFlops else { return [:] }
        let (groups, scores) = try scoredGroups(network, criterion: criterion, granularity: granularity, calibration: calibration)
        let savings = try channelSavings(groups, in: network.specification)
        let candidates = zip(groups, scores).map { group, scores in
            Array(lowestFirst(scores).dropLast(floors[network.nodes[group.producers[0]].name] ?? 1))
        }
        let toSave = (current - targetFlops + 1) / 2
        let removals = ranking == .perLayer
            ? perLayerRemovals(candidates, groups: groups, savings: savings, macsToSave: toSave)
            : globalRemovals(candidates, scores: scores, comparable: criterion.scoresComparableAcrossGroups,
                             groups: groups, savings: savings, macsToSave: toSave)
        var zeroed: [String: [Int]] = [:]
        for (group, channels) in zip(groups, removals) where !channels.isEmpty {
            zeroRows(channels, of: group, in: network)
            zeroed[network.nodes[group.producers[0]].name] = channels.sorted()
        }
        return zeroed
    }

    /// Sets row c of every producer's weight of `group` to 0 for each of `channels`.
    static func zeroRows(_ channels: [Int], of group: ChannelGroup, in network: GraphNetwork) {
        for producer in group.producers {
            guard let weight = network.nodes[producer].layer?.parameters.first else { continue }
            let row = weight.value.itemSize
            for channel in channels { for i in (channel * row)..<((channel + 1) * row) { weight.value.values[i] = 0 } }
        }
    }
}
