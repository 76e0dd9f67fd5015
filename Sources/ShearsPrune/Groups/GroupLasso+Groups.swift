import ShearsNet

/// Group LASSO on a graph network's dependency groups: the penalty's group g is one channel
/// of a dependency group, that is row c of *every* producer's weight (a resnet-s stage's
/// channel spans the stem or projection and each block's `conv2`), weighted by √|g| with |g|
/// the number of weights over all those rows (Yuan & Lin 2006). Only `filter` granularity
/// applies: a graph is pruned by whole channels. Every prunable group is penalised, its
/// hidden linear layers' neurons included (the VGG `filter` granularity penalises the convs
/// only; a graph's `filter` curve prunes every prunable group, so it penalises them all).
extension GroupLasso {
    /// The proximal step for a gradient step of size `learningRate` on every channel of every
    /// prunable group: `w_g ← w_g · max(0, 1 − η·λ·√|g| / ‖w_g‖₂)`. Throws
    /// `granularityNotApplicable` unless `granularity` is `filter`.
    public func proximalStep(_ network: GraphNetwork, learningRate: Double) throws {
        try Self.checkFilter(granularity)
        for group in try DependencyGraph(network.specification).prunableGroups {
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

    /// Removes, through `GroupSurgery`, every channel of a prunable group whose producers' weight
    /// rows are all exactly zero (biases and BatchNorm parameters may be anything: surgery folds
    /// what the channel still carries, so the outputs do not change). Every group keeps at least
    /// one channel (of an all-zero group, the last). Returns the removed channels keyed by each
    /// group's first producer's name; throws `granularityNotApplicable` unless `granularity` is `filter`.
    @discardableResult
    public static func removeZeroGroups(_ network: GraphNetwork, granularity: Granularity = .filter) throws -> [String: [Int]] {
        try checkFilter(granularity)
        let groups = try DependencyGraph(network.specification).prunableGroups
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

    static func checkFilter(_ granularity: Granularity) throws {
        guard granularity == .filter else {
            throw PruningError.granularityNotApplicable(granularity, layer: "a graph network",
                                                        reason: "group LASSO on graphs penalises whole channels of dependency groups (filter)")
        }
    }
}
