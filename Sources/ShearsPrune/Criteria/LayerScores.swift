/// One importance score per group of one layer (lower = removed first).
public struct LayerScores: Sendable {
    public let groups: LayerGroups
    public var scores: [Double]

    public init(groups: LayerGroups, scores: [Double]) {
        precondition(scores.count == groups.count, "LayerScores: \(scores.count) scores for \(groups.count) groups of \(groups.name)")
        self.groups = groups
        self.scores = scores
    }
}
