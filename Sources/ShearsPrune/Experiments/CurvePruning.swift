import ShearsNet

/// Scores and removes the lowest groups of `model` until its FLOPs are at most `fraction` of
/// `base`'s (non-zero FLOPs for masked granularities), scoring again after each round:
/// removal changes the scores, and the per-group estimates overlap (a filter's saving
/// includes its consumer's input slice).
///
/// - Parameters:
///   - model: the network to prune, in place.
///   - fraction: the FLOPs to keep, as a share of `base`'s.
///   - base: the unpruned model the fraction refers to (and the floors' group counts).
///   - criterion: what ranks the groups.
///   - granularity: the groups removed.
///   - ranking: global (l2-normalised) or per-layer.
///   - compensation: the repair of the layers reading removed units; nil uses the one the
///     criterion is defined with (`CriterionName.definingCompensation`: OBS's update for `obs`).
///   - engine: the calibration images and seed the criterion scores with; compensation fits
///     on the same images (and the engine's pool where a Hessian needs more).
///   - minLayerKeep: every layer keeps at least this share of `base`'s groups (and one).
public func pruneToFlops(_ model: VGG, fraction: Double, of base: VGG, criterion: CriterionName, granularity: Granularity,
                         ranking: Ranking = .global, compensation: Compensation? = nil, engine: CriterionEngine,
                         minLayerKeep: Double = 0) throws {
    let target = Int((fraction * Double(CurvePruning.flops(ModelCost(base), granularity: granularity))).rounded(.down))
    let floors = try CurvePruning.floors(base, granularity: granularity, minLayerKeep: minLayerKeep)
    let repair = compensation ?? criterion.definingCompensation
    for _ in 0..<50 {
        let current = CurvePruning.flops(ModelCost(model), granularity: granularity)
        guard current > target else { return }
        let scores = try engine.scores(model, criterion: criterion, granularity: granularity)
        let plan = try Planner.plan(scores, granularity: granularity, macsToSave: (current - target + 1) / 2, ranking: ranking,
                                    skip: CurvePruning.maskedGroups(model, scores, granularity), floors: floors)
        guard plan.removedGroups > 0 else { break }
        try Surgeon.apply(plan, to: model, compensation: repair, data: engine.data, pool: engine.pool, damping: engine.damping)
    }
    let reached = CurvePruning.flops(ModelCost(model), granularity: granularity)
    guard reached <= target else {
        let floor = minLayerKeep > 0 ? " with every layer keeping \(minLayerKeep) of its groups" : ""
        throw PruningError.granularityNotApplicable(granularity, layer: "the model",
                                                    reason: "cannot reach \(fraction) of the FLOPs\(floor) (stuck at \(reached) > \(target))")
    }
}

/// One pruning step of a curve: remove groups until the model's FLOPs reach a target.
enum CurvePruning {
    /// FLOPs the curve counts: dense FLOPs of the (shrunk) shapes, or, for masked
    /// granularities, those of the non-zero weights.
    static func flops(_ cost: ModelCost, granularity: Granularity) -> Int {
        granularity.isMasked ? cost.nonZeroFlops : cost.flops
    }

    /// The least number of groups each layer keeps: `⌈minLayerKeep · groups of base⌉`, at least 1.
    static func floors(_ base: VGG, granularity: Granularity, minLayerKeep: Double) throws -> [PrunableLayer: Int] {
        precondition(minLayerKeep >= 0 && minLayerKeep < 1, "minLayerKeep \(minLayerKeep) outside [0, 1)")
        var floors: [PrunableLayer: Int] = [:]
        for layer in try GroupEnumeration.groups(of: base, at: granularity) {
            floors[layer.layer] = max(1, Int((minLayerKeep * Double(layer.count)).rounded(.up)))
        }
        return floors
    }

    /// The scoring engine of one curve step: the cell's scoring subset and calibration pool,
    /// seeded by cell and step (the random criterion draws anew at every step).
    static func engine(_ cell: CurveCell, step: Int, configuration: CurveConfiguration, data: CalibrationData) -> CriterionEngine {
        CriterionEngine(data: data.scoring, pool: data.pool, seed: cell.seed &* 7919 &+ UInt64(step),
                        damping: configuration.obsDamping)
    }

    /// One curve step's pruning: the cell's criterion.
    static func prune(_ model: VGG, toFraction fraction: Double, of base: VGG, cell: CurveCell, step: Int,
                      configuration: CurveConfiguration, data: CalibrationData) throws {
        let criterion = try CriterionName(parsing: cell.criterion)
        try pruneToFlops(model, fraction: fraction, of: base, criterion: criterion, granularity: cell.granularity,
                         ranking: configuration.ranking, compensation: compensation(criterion, configuration),
                         engine: engine(cell, step: step, configuration: configuration, data: data),
                         minLayerKeep: configuration.minLayerKeep)
    }

    /// OBS is defined with its weight update, so `obs` cells always apply it; other
    /// criteria use the configured compensation.
    static func compensation(_ criterion: CriterionName, _ configuration: CurveConfiguration) -> Compensation {
        criterion == .obs ? .obs : configuration.compensation
    }

    /// Soft pruning: zeroes the weights of the lowest groups whose estimated saving reaches
    /// the FLOPs target, without removing anything (the units keep training and may return).
    static func zeroLowest(_ model: VGG, toFraction fraction: Double, of base: VGG, cell: CurveCell, step: Int,
                           configuration: CurveConfiguration, data: CalibrationData) throws {
        let target = Int((fraction * Double(flops(ModelCost(base), granularity: cell.granularity))).rounded(.down))
        let current = flops(ModelCost(model), granularity: cell.granularity)
        let engine = engine(cell, step: step, configuration: configuration, data: data)
        let scores = try engine.scores(model, criterion: try CriterionName(parsing: cell.criterion), granularity: cell.granularity)
        let plan = try Planner.plan(scores, granularity: cell.granularity, macsToSave: (current - target + 1) / 2,
                                    ranking: configuration.ranking,
                                    floors: try floors(base, granularity: cell.granularity, minLayerKeep: configuration.minLayerKeep))
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

/// The calibration images of one curve seed: its own seeded ordering of the calibration
/// split, whose first `scoringSamples` images score and whose whole serves layer Hessians.
struct CalibrationData {
    let scoring: Dataset
    let pool: Dataset

    init(calibration: Dataset, seed: UInt64, scoringSamples: Int) {
        pool = calibration.seededSubset(calibration.count, seed: seed)
        scoring = pool.prefix(scoringSamples)
    }
}
