import ShearsNet

/// Group LASSO on a graph network's dependency groups: the penalty's group g is one channel
/// of a dependency group, that is row c of *every* producer's weight (a resnet-s stage's
/// channel spans the stem or projection and each block's `conv2`), weighted by √|g| with |g|
/// the number of weights over all those rows (Yuan & Lin 2006). `filter` penalises the
/// conv-produced groups and `neuron` the hidden linear layers'; `element` and `kernel` penalise
/// the groups inside each weight and mask them (`GroupLasso+Masked.swift`); `channel`, whose
/// group would be the consumers' input slices, and `shape` are not offered.
extension GroupLasso {
    /// The proximal step for a gradient step of size `learningRate` on every channel of every
    /// prunable group at `granularity`: `w_g ← w_g · max(0, 1 − η·λ·√|g| / ‖w_g‖₂)` (at
    /// element and kernel, on each conv and linear weight's groups). Throws
    /// `granularityNotApplicable` at channel and shape.
    public func proximalStep(_ network: GraphNetwork, learningRate: Double) throws {
        if granularity.isMasked { return try maskedProximalStep(network, learningRate: learningRate) }
        for group in try Self.penalisedGroups(network, granularity: granularity) {
            let weights = group.producers.compactMap { network.nodes[$0].layer?.parameters.first }
            let size = weights.reduce(0) { $0 + $1.value.itemSize }
            let threshold = learningRate * strength * Double(size).squareRoot()
            for channel in 0..<group.width {
                let norm = weights.reduce(0.0) { total, weight in
                    let row = weight.value.itemSize
                    return weight.value.values[(channel * row)..<((channel + 1) * row)].reduce(total) { $0 + Double($1) * Double($1) }
                }.squareRoot()
                let scale = norm > threshold ? Float(1 - threshold / norm) : 0
                for weight in weights {
                    let row = weight.value.itemSize
                    for i in (channel * row)..<((channel + 1) * row) { weight.value.values[i] *= scale }
                }
            }
        }
    }

    /// Removes, through `GroupSurgery`, every channel of a prunable group at `granularity` whose producers' weight
    /// rows are all exactly zero (biases and BatchNorm parameters may be anything: surgery folds
    /// what the channel still carries, so the outputs do not change). Every group keeps at least
    /// one channel (of an all-zero group, the last). Returns the removed channels keyed by each
    /// group's first producer's name (at element and kernel: masks the all-zero groups, keyed by
    /// node name); throws `granularityNotApplicable` at channel and shape.
    @discardableResult
    public static func removeZeroGroups(_ network: GraphNetwork, granularity: Granularity = .filter) throws -> [String: [Int]] {
        if granularity.isMasked { return try maskZeroGroups(network, granularity: granularity) }
        let groups = try penalisedGroups(network, granularity: granularity)
        let removals = groups.map { group in
            let weights = group.producers.compactMap { network.nodes[$0].layer?.parameters.first?.value }
            var zero = (0..<group.width).filter { channel in
                weights.allSatisfy { w in w.values[(channel * w.itemSize)..<((channel + 1) * w.itemSize)].allSatisfy { $0 == 0 } }
            }
            if zero.count == group.width { zero.removeLast() }
            return zero
        }
        try GroupPruner.remove(removals, from: groups, in: network)
        var removed: [String: [Int]] = [:]
        for (group, channels) in zip(groups, removals) where !channels.isEmpty {
            removed[network.nodes[group.producers[0]].name] = channels
        }
        return removed
    }

    /// The groups the penalty acts on at `granularity`: filter or neuron groups of `network`.
    static func penalisedGroups(_ network: GraphNetwork, granularity: Granularity) throws -> [ChannelGroup] {
        guard granularity == .filter || granularity == .neuron else {
            throw PruningError.granularityNotApplicable(granularity, layer: "a graph network",
                                                        reason: "group LASSO penalises channels of dependency groups (filter, neuron) or groups inside weights (element, kernel)")
        }
        return try DependencyGraph(network.specification).prunableGroups(at: granularity)
    }
}
