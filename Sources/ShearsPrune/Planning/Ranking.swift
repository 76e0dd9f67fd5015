/// How scores are compared when choosing what to remove.
public enum Ranking: String, Sendable, Codable, CaseIterable {
    /// The same share of groups from every layer (or dependency group).
    case perLayer = "per-layer"
    /// One ranking over all layers, each layer's scores divided by their l2 norm first
    /// (Molchanov et al. 2017, §2.3), so layers of different scale compete fairly (scores
    /// already on one scale, the random baseline's, are compared as they are).
    case global
    /// Per-group shares from the consumers' Hessians (`GroupHessianAllocation`), then the
    /// criterion's lowest scores within each group.
    case hessian
}

/// One layer's scores divided by their l2 norm (left as they are when all are zero), so that
/// global ranking compares layers of different scale fairly (Molchanov et al. 2017, §2.3).
func l2Normalised(_ scores: [Double]) -> [Double] {
    let norm = scores.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return norm > 0 ? scores.map { $0 / norm } : scores
}

/// Indices of `scores` from lowest to highest, ties broken by the lower index, so that plans are deterministic.
func lowestFirst(_ scores: [Double]) -> [Int] {
    scores.indices.sorted { (scores[$0], $0) < (scores[$1], $1) }
}
