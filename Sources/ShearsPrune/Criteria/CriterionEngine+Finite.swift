import ShearsNet

extension CriterionEngine {
    /// The criterion's scores for every group of `model` (lower = removed first); refuses
    /// NaN and infinite scores, which would rank groups meaninglessly (e.g. `lp:1e-30`
    /// overflows every norm), naming the criterion and the first such layer.
    public func scores(_ model: VGG, criterion: CriterionName, granularity: Granularity) throws -> [LayerScores] {
        let scores = try unchecked(model, criterion: criterion, granularity: granularity)
        for layer in scores {
            let bad = layer.scores.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
            guard bad == 0 else {
                throw PruningError.nonFiniteScores(criterion: "\(criterion)", layer: layer.groups.name, count: bad,
                                                   groups: layer.scores.count)
            }
        }
        return scores
    }
}
