import ShearsNet

/// Scores and removes the lowest groups of `model` until its FLOPs are at most `fraction` of
/// `base`'s (non-zero FLOPs for masked granularities), scoring again after each round:
/// removal changes the scores, and the per-group estimates overlap (a filter's saving
/// includes its consumer's input slice).
public func pruneToFlops(_ model: VGG, fraction: Double, of base: VGG, criterion: CriterionName, granularity: Granularity,
                         ranking: Ranking = .global, compensation: Compensation = .none, data: Dataset,
                         seed: UInt64) throws {
    let target = Int((fraction * Double(CurvePruning.flops(ModelCost(base), granularity: granularity))).rounded(.down))
    let engine = CriterionEngine(data: data, seed: seed)
    for _ in 0..<50 {
        let current = CurvePruning.flops(ModelCost(model), granularity: granularity)
        guard current > target else { return }
        let scores = try engine.scores(model, criterion: criterion, granularity: granularity)
        let plan = try Planner.plan(scores, granularity: granularity, macsToSave: (current - target + 1) / 2, ranking: ranking,
                                    skip: CurvePruning.maskedGroups(model, scores, granularity))
        guard plan.removedGroups > 0 else { break }
        try Surgeon.apply(plan, to: model, compensation: compensation, data: data)
    }
    let reached = CurvePruning.flops(ModelCost(model), granularity: granularity)
    guard reached <= target else {
        throw PruningError.granularityNotApplicable(granularity, layer: "the model",
                                                    reason: "cannot reach \(fraction) of the FLOPs (stuck at \(reached) > \(target))")
    }
}

/// One pruning step of a curve: remove groups until the model's FLOPs reach a target.
enum CurvePruning {
    /// FLOPs the curve counts: dense FLOPs of the (shrunk) shapes, or, for masked
    /// granularities, those of the non-zero weights.
    static func flops(_ cost: ModelCost, granularity: Granularity) -> Int {
        granularity.isMasked ? cost.nonZeroFlops : cost.flops
    }

    /// One curve step's pruning: the cell's criterion, seeded by cell and step.
    static func prune(_ model: VGG, toFraction fraction: Double, of base: VGG, cell: CurveCell, step: Int,
                      configuration: CurveConfiguration, scoringData: Dataset) throws {
        try pruneToFlops(model, fraction: fraction, of: base, criterion: try CriterionName(parsing: cell.criterion),
                         granularity: cell.granularity, ranking: configuration.ranking,
                         compensation: configuration.compensation, data: scoringData,
                         seed: cell.seed &* 7919 &+ UInt64(step))
    }

    /// Soft pruning: zeroes the weights of the lowest groups whose estimated saving reaches
    /// the FLOPs target, without removing anything (the units keep training and may return).
    static func zeroLowest(_ model: VGG, toFraction fraction: Double, of base: VGG, cell: CurveCell, step: Int,
                           configuration: CurveConfiguration, scoringData: Dataset) throws {
        let target = Int((fraction * Double(flops(ModelCost(base), granularity: cell.granularity))).rounded(.down))
        let current = flops(ModelCost(model), granularity: cell.granularity)
        let engine = CriterionEngine(data: scoringData, seed: cell.seed &* 7919 &+ UInt64(step))
        let scores = try engine.scores(model, criterion: try CriterionName(parsing: cell.criterion), granularity: cell.granularity)
        let plan = try Planner.plan(scores, granularity: cell.granularity, macsToSave: (current - target + 1) / 2,
                                    ranking: configuration.ranking)
        for (layer, groups) in plan.removals {
            for group in groups {
                for (parameter, indices) in try OracleCriterion.silencedParameters(model, layer, granularity: cell.granularity,
                                                                                    group: group) {
                    for i in indices { parameter.value.values[i] = 0 }
                }
            }
        }
    }

    /// Groups of masked granularities whose weights are all masked already.
    static func maskedGroups(_ model: VGG, _ scores: [LayerScores], _ granularity: Granularity) -> [PrunableLayer: Set<Int>] {
        guard granularity.isMasked else { return [:] }
        var result: [PrunableLayer: Set<Int>] = [:]
        for layer in scores {
            let weight = model.weight(of: layer.groups.layer)
            guard let mask = weight.mask, let layout = GroupLayout(granularity, weightShape: weight.value.shape) else { continue }
            result[layer.groups.layer] = Set((0..<layer.groups.count).filter { group in layout.indices(group).allSatisfy { mask[$0] == 0 } })
        }
        return result
    }
}
