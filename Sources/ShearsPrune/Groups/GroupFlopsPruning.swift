import ShearsNet

/// Pruning a graph network to a FLOPs target through its dependency groups.
extension GroupPruner {
    /// The least number of channels each prunable group of `base` keeps, keyed by the name of
    /// the group's first producer (names survive surgery and layer bypassing, node indices do
    /// not): `⌈minimumKeep · width⌉`, at least 1.
    public static func floors(_ base: GraphNetwork, minimumKeep: Double) throws -> [String: Int] {
        precondition(minimumKeep >= 0 && minimumKeep < 1, "GroupPruner.floors: minimumKeep \(minimumKeep) outside [0, 1)")
        var floors: [String: Int] = [:]
        for group in try DependencyGraph(base.specification).prunableGroups {
            floors[base.nodes[group.producers[0]].name] = max(1, Int((minimumKeep * Double(group.width)).rounded(.up)))
        }
        return floors
    }

    /// Scores and removes the lowest channels of the groups at `granularity` (filter, channel
    /// or neuron) that `criterion` applies to until the
    /// network's FLOPs (2 x MACs) are at most `targetFlops`, scoring again after each round:
    /// removal changes the scores, and the per-channel estimates
    /// overlap (a channel's saving includes its consumers' input slices, which a removal in
    /// the next group also claims).
    ///
    /// Global ranking compares the groups' l2-normalised scores (Molchanov et al. 2017,
    /// §2.3; the random baseline's as they are); per-layer ranking removes the smallest common
    /// share of every group that saves enough. A group keeps at least `floors[first producer's name]`
    /// channels (1 when absent). Each round's consumers are repaired first by `compensation`,
    /// or by the criterion's `definingCompensation` when it is nil, fitted on `calibration`
    /// (and `pool`, for under-sampled Hessians), OBS's damped by `obsDamping`. `rounding` keeps
    /// every group's width a multiple of its `multiple` (where it was removed from at all).
    public static func prune(_ network: GraphNetwork, toFlops targetFlops: Int, criterion: any GroupCriterion,
                             granularity: Granularity = .filter, ranking: Ranking, floors: [String: Int] = [:],
                             calibration: Dataset? = nil,
                             compensation: Compensation? = nil, pool: Dataset? = nil,
                             obsDamping: Double = OptimalBrainSurgeon.defaultRelativeDamping,
                             rounding: WidthRounding = .none) throws {
        guard ranking != .hessian else {
            throw PruningError.granularityNotApplicable(granularity, layer: "a FLOPs target",
                                                        reason: "Hessian-aware shares are by groups; use global or per-layer")
        }
        let repair = try repairing(compensation ?? criterion.definingCompensation, calibration: calibration, pool: pool,
                                   damping: obsDamping)
        for _ in 0..<50 {
            let current = 2 * (try network.specification.macs())
            guard current > targetFlops else { return }
            let (groups, scores) = try scoredGroups(network, criterion: criterion, granularity: granularity,
                                                    calibration: calibration)
            let savings = try channelSavings(groups, in: network.specification)
            let candidates = zip(groups, scores).map { group, scores in
                Array(lowestFirst(scores).dropLast(floors[network.nodes[group.producers[0]].name] ?? 1))
            }
            let toSave = (current - targetFlops + 1) / 2
            let removals = ranking == .perLayer
                ? perLayerRemovals(candidates, groups: groups, savings: savings, macsToSave: toSave, rounding: rounding)
                : globalRemovals(candidates, scores: scores, comparable: criterion.scoresComparableAcrossGroups,
                                 groups: groups, savings: savings, macsToSave: toSave, rounding: rounding)
            guard removals.contains(where: { !$0.isEmpty }) else { break }
            try remove(removals, from: groups, in: network, repair: repair)
        }
        let reached = 2 * (try network.specification.macs())
        guard reached <= targetFlops else {
            throw PruningError.targetNotReached(quantity: "FLOPs", target: targetFlops, reached: reached,
                                                limit: "every group keeping its floor")
        }
    }

    /// The forward MACs per image one channel of each group saves (`ChannelGroup.macsPerChannel`).
    static func channelSavings(_ groups: [ChannelGroup], in specification: GraphSpecification) throws -> [Int] {
        try groups.map { try $0.macsPerChannel(in: specification) }
    }

    /// The lowest globally comparable channels, across groups, until their savings (after `rounding`) reach `macsToSave`.
    static func globalRemovals(_ candidates: [[Int]], scores: [[Double]], comparable: Bool, groups: [ChannelGroup],
                               savings: [Int], macsToSave: Int, rounding: WidthRounding = .none) -> [[Int]] {
        var all: [(score: Double, group: Int, channel: Int)] = []
        for (group, channels) in candidates.enumerated() {
            let norm = comparable ? 0 : scores[group].reduce(0) { $0 + $1 * $1 }.squareRoot()
            for channel in channels { all.append((norm > 0 ? scores[group][channel] / norm : scores[group][channel], group, channel)) }
        }
        all.sort { ($0.score, $0.group, $0.channel) < ($1.score, $1.group, $1.channel) }
        return rounding.take(all.map { ($0.group, $0.channel) }, widths: groups.map(\.width),
                             savings: zip(groups, savings).map { Array(repeating: $1, count: $0.width) }, target: macsToSave)
    }

    /// The smallest common share of every group's lowest channels whose savings (after `rounding`) reach `macsToSave`.
    static func perLayerRemovals(_ candidates: [[Int]], groups: [ChannelGroup], savings: [Int], macsToSave: Int,
                                 rounding: WidthRounding = .none) -> [[Int]] {
        func counts(_ share: Double) -> [Int] {
            zip(candidates, groups).map {
                rounding.removals(min($0.count, Int((share * Double($1.width)).rounded(.up))), width: $1.width)
            }
        }
        func saving(_ share: Double) -> Int { zip(counts(share), savings).reduce(0) { $0 + $1.0 * $1.1 } }
        var (low, high) = (0.0, 1.0)
        for _ in 0..<60 {
            let middle = (low + high) / 2
            if saving(middle) >= macsToSave { high = middle } else { low = middle }
        }
        return zip(candidates, counts(high)).map { Array($0.prefix($1)) }
    }
}
