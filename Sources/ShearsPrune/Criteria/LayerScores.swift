/// One importance score per group of one layer (lower = removed first).
public struct LayerScores: Sendable {
    /// The layer the scores belong to, with each group's cost.
    public let groups: LayerGroups
    /// One score per group, indexed as the groups (`scores.count == groups.count`); lower is removed first.
    public var scores: [Double]
    /// Whether scores of different layers are already on one scale, so that global ranking
    /// compares them as they are instead of l2-normalising each layer first. The random
    /// baseline's uniform scores are: normalising them would make wide layers lose more
    /// units (their norm is larger), and the baseline must remove units uniformly at random.
    public var comparableAcrossLayers: Bool

    /// Pairs scores with their groups (a different count is a programmer error); by default global ranking
    /// l2-normalises the layer's scores first.
    public init(groups: LayerGroups, scores: [Double], comparableAcrossLayers: Bool = false) {
        precondition(scores.count == groups.count, "LayerScores: \(scores.count) scores for \(groups.count) groups of \(groups.name)")
        self.groups = groups
        self.scores = scores
        self.comparableAcrossLayers = comparableAcrossLayers
    }

    /// The scores global ranking compares: l2-normalised per layer (Molchanov et al. 2017,
    /// §2.3) unless `comparableAcrossLayers`.
    var globallyComparable: [Double] {
        comparableAcrossLayers ? scores : l2Normalised(scores)
    }
}

/// One layer's scores divided by their l2 norm (left as they are when all are zero), so that
/// global ranking compares layers of different scale fairly (Molchanov et al. 2017, §2.3).
func l2Normalised(_ scores: [Double]) -> [Double] {
    let norm = scores.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return norm > 0 ? scores.map { $0 / norm } : scores
}
