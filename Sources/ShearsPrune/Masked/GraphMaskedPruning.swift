import ShearsNet

/// Element and kernel pruning of any graph network: every conv and linear node's weight
/// (`MaskedLayer`) scored by a `MaskedCriterion`, ranked globally, and the lowest groups
/// masked (`MaskedLayer.mask`), the dense shapes unchanged.
///
/// Global ranking divides each layer's scores by their l2 norm (Molchanov et al. 2017, §2.3;
/// the random baseline's are compared as they are) and takes one order over all layers, ties
/// broken by layer then group index. Per-layer ranking takes the same share of every layer's
/// groups, its lowest scores first. Every layer keeps at least `⌈minimumKeep · groups⌉` (and
/// one) of its groups that still have unmasked (or non-zero) weights. Groups already masked
/// whole are not candidates.
public enum GraphMaskedPruning {
    /// Masks the lowest groups until `fraction` (in [0, 1)) of the conv and linear weights are
    /// masked, `⌊fraction · weights⌋` counted with the masks already there; returns the groups
    /// newly masked. At element granularity exactly that many weights end masked; at kernel
    /// granularity at most one kernel's weights more. Each layer keeps its floor (`minimumKeep`, in [0, 1)).
    /// With `ranking` `.perLayer`, each layer instead ends with `⌊fraction · groups⌋` of its own
    /// groups masked (whole groups masked before counted), its lowest scores first.
    @discardableResult
    public static func prune(_ network: GraphNetwork, weightFraction fraction: Double, granularity: Granularity,
                             criterion: any MaskedCriterion, calibration: Dataset? = nil,
                             minimumKeep: Double = 0, ranking: Ranking = .global) throws -> Int {
        guard fraction >= 0, fraction < 1 else { throw PruningError.ratioOutOfRange(fraction) }
        let layers = try MaskedLayer.all(in: network, granularity: granularity)
        if try checkedRanking(ranking, granularity) == .perLayer {
            return try maskLowestPerLayer(network, layers: layers, fraction: fraction, criterion: criterion,
                                          calibration: calibration, minimumKeep: minimumKeep)
        }
        let total = layers.reduce(0) { $0 + $1.weight.value.count }
        let target = Int((fraction * Double(total)).rounded(.down))
        let removed = try maskLowest(network, layers: layers, criterion: criterion, calibration: calibration,
                                     minimumKeep: minimumKeep,
                                     toSave: target - layers.reduce(0) { $0 + $1.maskedWeights }) { $0.unmaskedWeights($1) }
        let reached = layers.reduce(0) { $0 + $1.maskedWeights }
        guard reached >= target else {
            throw PruningError.targetNotReached(quantity: "unmasked weights", target: total - target, reached: total - reached,
                                                       limit: "every layer keeping its floor of groups")
        }
        return removed
    }

    /// Masks the lowest groups until the network's FLOPs counted at masked granularities,
    /// `2 · nonZeroMacs` (`GraphNetwork.nonZeroMacs`), are at
    /// most `targetFlops`; returns the groups newly masked. A group's saving is exact (its
    /// non-zero weights times their uses), so one scoring reaches the target, overshooting by
    /// less than one group's saving. Each layer keeps its floor (`minimumKeep`, in [0, 1)).
    @discardableResult
    public static func prune(_ network: GraphNetwork, toFlops targetFlops: Int, granularity: Granularity,
                             criterion: any MaskedCriterion, calibration: Dataset? = nil,
                             minimumKeep: Double = 0) throws -> Int {
        let layers = try MaskedLayer.all(in: network, granularity: granularity)
        let current = 2 * network.nonZeroMacs
        guard current > targetFlops else { return 0 }
        let removed = try maskLowest(network, layers: layers, criterion: criterion, calibration: calibration,
                                     minimumKeep: minimumKeep, toSave: (current - targetFlops + 1) / 2) { $0.nonZeroMacs($1) }
        let reached = 2 * network.nonZeroMacs
        guard reached <= targetFlops else {
            throw PruningError.targetNotReached(quantity: "non-zero FLOPs", target: targetFlops, reached: reached,
                                                       limit: "every layer keeping its floor of groups")
        }
        return removed
    }

    /// Scores `layers`, then masks groups in global order until the `saving`s of the masked
    /// groups reach `toSave`; returns how many groups it masked.
    static func maskLowest(_ network: GraphNetwork, layers: [MaskedLayer], criterion: any MaskedCriterion,
                           calibration: Dataset?, minimumKeep: Double, toSave: Int,
                           saving: (MaskedLayer, Int) -> Int) throws -> Int {
        let taken = try lowestGroups(network, layers: layers, criterion: criterion, calibration: calibration,
                                     minimumKeep: minimumKeep, toSave: toSave, saving: saving)
        for (layer, groups) in zip(layers, taken) where !groups.isEmpty { layer.mask(groups) }
        return taken.reduce(0) { $0 + $1.count }
    }

    /// Per-layer masking: every layer ends with `⌊fraction · groups⌋` of its groups masked whole
    /// (those masked before counted), its lowest-scored unmasked groups first, keeping its floor;
    /// returns the groups newly masked.
    static func maskLowestPerLayer(_ network: GraphNetwork, layers: [MaskedLayer], fraction: Double,
                                   criterion: any MaskedCriterion, calibration: Dataset?, minimumKeep: Double) throws -> Int {
        let masked = layers.map { layer in (0..<layer.layout.groupCount).filter { layer.unmaskedWeights($0) == 0 }.count }
        let counts = zip(layers, masked).map { layer, masked in
            max(0, Int((fraction * Double(layer.layout.groupCount)).rounded(.down)) - masked)
        }
        let taken = try lowestGroups(network, layers: layers, criterion: criterion, calibration: calibration,
                                     minimumKeep: minimumKeep, perLayer: counts) { $0.unmaskedWeights($1) }
        for (layer, (groups, count)) in zip(layers, zip(taken, counts)) {
            guard groups.count == count else {
                throw PruningError.targetNotReached(quantity: "masked groups of \(layer.name)", target: count, reached: groups.count,
                                                           limit: "every layer keeping its floor of groups")
            }
            if !groups.isEmpty { layer.mask(groups) }
        }
        return taken.reduce(0) { $0 + $1.count }
    }

    /// `ranking` if masked and shape groups can be shared out by it: global or per-layer, not
    /// Hessian-aware (whose shares come from channel groups' consumers).
    static func checkedRanking(_ ranking: Ranking, _ granularity: Granularity) throws -> Ranking {
        guard ranking != .hessian else {
            throw PruningError.granularityNotApplicable(granularity, layer: "the network",
                                                        reason: "Hessian-aware ranking shares out filter, channel and neuron groups only")
        }
        return ranking
    }

    /// Scores `layers` and returns, per layer (ascending), the groups that come first in global
    /// order until their `saving`s reach `toSave`, each layer keeping its floor; groups whose
    /// saving is zero (masked already) are not candidates. Shared by masking and `GraphShapePruning`.
    static func lowestGroups(_ network: GraphNetwork, layers: [MaskedLayer], criterion: any MaskedCriterion,
                             calibration: Dataset?, minimumKeep: Double, toSave: Int,
                             saving: (MaskedLayer, Int) -> Int) throws -> [[Int]] {
        guard toSave > 0 else { return layers.map { _ in [] } }
        let (scores, savings, candidates) = try scoredCandidates(network, layers: layers, criterion: criterion,
                                                                 calibration: calibration, minimumKeep: minimumKeep, saving: saving)
        var order: [(score: Double, layer: Int, group: Int)] = []
        for (index, layerScores) in scores.enumerated() {
            let comparable = criterion.scoresComparableAcrossLayers ? layerScores : l2Normalised(layerScores)
            for group in candidates[index] { order.append((comparable[group], index, group)) }
        }
        order.sort { ($0.score, $0.layer, $0.group) < ($1.score, $1.layer, $1.group) }
        return WidthRounding.none.take(order.map { ($0.layer, $0.group) }, widths: layers.map(\.layout.groupCount),
                                       savings: savings, target: toSave).map { $0.sorted() }
    }

    /// Scores `layers` and returns, per layer (ascending), its `perLayer[i]` lowest-scored
    /// groups (fewer when its floor stops it); groups whose saving is zero (masked already) are
    /// not candidates. Shared by masking and `GraphShapePruning`.
    static func lowestGroups(_ network: GraphNetwork, layers: [MaskedLayer], criterion: any MaskedCriterion,
                             calibration: Dataset?, minimumKeep: Double, perLayer counts: [Int],
                             saving: (MaskedLayer, Int) -> Int) throws -> [[Int]] {
        guard counts.contains(where: { $0 > 0 }) else { return layers.map { _ in [] } }
        let candidates = try scoredCandidates(network, layers: layers, criterion: criterion, calibration: calibration,
                                              minimumKeep: minimumKeep, saving: saving).candidates
        return zip(candidates, counts).map { Array($0.prefix($1)).sorted() }
    }

    /// The criterion's checked scores of `layers`, every group's `saving`, and each layer's
    /// candidates lowest score first: its groups with a non-zero saving, less its floor
    /// (`⌈minimumKeep · groups⌉` and at least one) of the highest.
    static func scoredCandidates(_ network: GraphNetwork, layers: [MaskedLayer], criterion: any MaskedCriterion,
                                 calibration: Dataset?, minimumKeep: Double, saving: (MaskedLayer, Int) -> Int) throws
        -> (scores: [[Double]], savings: [[Int]], candidates: [[Int]]) {
        precondition(minimumKeep >= 0 && minimumKeep < 1, "GraphMaskedPruning: minimumKeep \(minimumKeep) outside [0, 1)")
        let scores = try checkedScores(network, layers: layers, criterion: criterion, calibration: calibration)
        let savings = layers.map { layer in (0..<layer.layout.groupCount).map { saving(layer, $0) } }
        let candidates = scores.indices.map { index in
            let alive = lowestFirst(scores[index]).filter { savings[index][$0] > 0 }
            let floor = max(1, Int((minimumKeep * Double(layers[index].layout.groupCount)).rounded(.up)))
            return Array(alive.dropLast(floor))
        }
        return (scores, savings, candidates)
    }

    /// The criterion's scores for `layers`, checked: one finite score per group, calibration
    /// images present when the criterion reads them.
    public static func checkedScores(_ network: GraphNetwork, layers: [MaskedLayer], criterion: any MaskedCriterion,
                                     calibration: Dataset?) throws -> [[Double]] {
        if criterion.input == .calibrationImages && calibration == nil { throw PruningError.needsCalibration(criterion: criterion.name) }
        let scores = try criterion.scores(network, layers: layers, calibration: calibration)
        precondition(scores.count == layers.count && zip(scores, layers).allSatisfy { $0.count == $1.layout.groupCount },
                     "criterion '\(criterion.name)' returned scores of the wrong shape")
        for (layer, layerScores) in zip(layers, scores) {
            let bad = layerScores.filter { !$0.isFinite }.count
            guard bad == 0 else {
                throw PruningError.nonFiniteScores(criterion: criterion.name, layer: layer.name, count: bad, groups: layerScores.count)
            }
        }
        return scores
    }
}
