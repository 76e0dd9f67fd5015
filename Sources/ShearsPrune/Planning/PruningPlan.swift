import Foundation

/// Which groups to remove: the value a planner returns and `Surgeon` applies.
public struct PruningPlan: Sendable, Equatable, Codable {
    /// What a group is, and so how `Surgeon.apply` removes it (mask or physical removal).
    public let granularity: Granularity
    /// Group indices to remove, ascending, per layer; layers with nothing to remove are absent.
    public let removals: [PrunableLayer: [Int]]

    /// Groups removed over all layers.
    public var removedGroups: Int { removals.values.reduce(0) { $0 + $1.count } }
}

/// How scores are compared when choosing what to remove.
public enum Ranking: String, Sendable, Codable, CaseIterable {
    /// The same share of groups from every layer.
    case perLayer = "per-layer"
    /// One ranking over all layers, each layer's scores divided by their l2 norm first
    /// (Molchanov et al. 2017, §2.3), so layers of different scale compete fairly (scores
    /// already on one scale, the random baseline's, are compared as they are).
    case global
    /// Per-layer shares from the layers' Hessian spectra (`HessianAllocation`), then the
    /// criterion's lowest scores within each layer.
    case hessian
}

/// Turns scores into a `PruningPlan`, lowest scores first, ties broken by layer and group index: by a share of groups
/// (`plan(_:granularity:ratio:ranking:layerShares:)`) or by MACs to save for a FLOPs target
/// (`plan(_:granularity:macsToSave:ranking:skip:floors:)`).
public enum Planner {
    /// Removes the lowest-scored `ratio` of groups, per layer or globally.
    ///
    /// Layer granularity has one group per candidate layer, so it is always ranked globally
    /// on raw scores: `ratio` of the candidate layers become identities.
    /// Throws for a ratio outside [0, 1) and for a plan that would empty a layer.
    /// `layerShares` (the share of each layer's groups to remove) is required by `.hessian`.
    public static func plan(_ scores: [LayerScores], granularity: Granularity, ratio: Double, ranking: Ranking,
                            layerShares: [PrunableLayer: Double]? = nil) throws -> PruningPlan {
        guard ratio >= 0, ratio < 1 else { throw PruningError.ratioOutOfRange(ratio) }
        if granularity == .layer {
            let order = scores.indices.sorted { (scores[$0].scores[0], $0) < (scores[$1].scores[0], $1) }
            let count = Int((ratio * Double(scores.count)).rounded(.down))
            return PruningPlan(granularity: .layer, removals: Dictionary(uniqueKeysWithValues: order.prefix(count).map {
                (scores[$0].groups.layer, [0])
            }))
        }
        var removals: [PrunableLayer: [Int]] = [:]
        switch ranking {
        case .perLayer, .hessian:
            if ranking == .hessian && layerShares == nil {
                throw PruningError.granularityNotApplicable(granularity, layer: "the model",
                                                            reason: "Hessian-aware ranking needs per-layer shares from HessianAllocation")
            }
            for layer in scores {
                let share = ranking == .hessian ? layerShares![layer.groups.layer] ?? 0 : ratio
                let count = Int((share * Double(layer.groups.count)).rounded(.down))
                removals[layer.groups.layer] = lowest(layer.scores, count)
            }
        case .global:
            var all: [(score: Double, layer: Int, group: Int)] = []
            for (index, layer) in scores.enumerated() {
                for (group, score) in layer.globallyComparable.enumerated() { all.append((score, index, group)) }
            }
            all.sort { ($0.score, $0.layer, $0.group) < ($1.score, $1.layer, $1.group) }
            let total = Int((ratio * Double(all.count)).rounded(.down))
            for entry in all.prefix(total) { removals[scores[entry.layer].groups.layer, default: []].append(entry.group) }
        }
        for layer in scores {
            let removing = removals[layer.groups.layer]?.count ?? 0
            if removing >= layer.groups.count {
                throw PruningError.wouldEmptyLayer(layer: layer.groups.name, groups: layer.groups.count, removing: removing)
            }
        }
        return PruningPlan(granularity: granularity,
                           removals: removals.filter { !$0.value.isEmpty }.mapValues { $0.sorted() })
    }

    /// Indices of the `count` smallest scores (ties broken by index, so plans are deterministic).
    static func lowest(_ scores: [Double], _ count: Int) -> [Int] {
        Array(scores.indices.sorted { (scores[$0], $0) < (scores[$1], $1) }.prefix(count))
    }
}
