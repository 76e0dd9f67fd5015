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
///   - rounding: widths kept as multiples (Torch-Pruning's `round_to`) at filter, channel and neuron granularity.
public func pruneToFlops(_ model: VGG, fraction: Double, of base: VGG, criterion: CriterionName, granularity: Granularity,
                         ranking: Ranking = .global, compensation: Compensation? = nil, engine: CriterionEngine,
                         minLayerKeep: Double = 0, rounding: WidthRounding = .none) throws {
    let target = Int((fraction * Double(ModelCost(base).flops(counting: granularity))).rounded(.down))
    let floors = try Planner.floors(base, granularity: granularity, minLayerKeep: minLayerKeep)
    let repair = compensation ?? criterion.definingCompensation
    for _ in 0..<50 {
        let current = ModelCost(model).flops(counting: granularity)
        guard current > target else { return }
        let scores = try engine.scores(model, criterion: criterion, granularity: granularity)
        let plan = try Planner.plan(scores, granularity: granularity, macsToSave: (current - target + 1) / 2, ranking: ranking,
                                    skip: Planner.maskedGroups(model, scores, granularity), floors: floors,
                                    rounding: rounding)
        guard plan.removedGroups > 0 else { break }
        try Surgeon.apply(plan, to: model, compensation: repair, data: engine.data, pool: engine.pool, damping: engine.damping)
    }
    let reached = ModelCost(model).flops(counting: granularity)
    guard reached <= target else {
        let floor = minLayerKeep > 0 ? " with every layer keeping \(minLayerKeep) of its groups" : ""
        throw PruningError.granularityNotApplicable(granularity, layer: "the model",
                                                    reason: "cannot reach \(fraction) of the FLOPs\(floor) (stuck at \(reached) > \(target))")
    }
}

extension ModelCost {
    /// The FLOPs a FLOPs target counts at `granularity`: dense FLOPs of the (shrunk) shapes
    /// for structured granularities, which remove units, or those of the non-zero weights for
    /// masked ones, which only zero them (the shapes stay).
    public func flops(counting granularity: Granularity) -> Int {
        granularity.isMasked ? nonZeroFlops : flops
    }
}

extension Planner {
    /// The least number of groups each layer of `base` keeps at `granularity`:
    /// `⌈minLayerKeep · groups⌉`, at least 1, so that no layer is emptied (global ranking
    /// would otherwise take every group of a layer whose scores are all low).
    ///
    /// `minLayerKeep` must be in [0, 1).
    public static func floors(_ base: VGG, granularity: Granularity, minLayerKeep: Double) throws -> [PrunableLayer: Int] {
        precondition(minLayerKeep >= 0 && minLayerKeep < 1, "minLayerKeep \(minLayerKeep) outside [0, 1)")
        var floors: [PrunableLayer: Int] = [:]
        for layer in try GroupEnumeration.groups(of: base, at: granularity) {
            floors[layer.layer] = max(1, Int((minLayerKeep * Double(layer.count)).rounded(.up)))
        }
        return floors
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
