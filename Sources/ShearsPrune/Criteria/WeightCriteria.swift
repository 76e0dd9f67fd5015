import ShearsNet

/// Criteria that read only the weights: seeded random scores and l_p norms of each group.
public enum WeightCriteria {
    /// l_p norm of every group (p = 0 counts non-zeros, p = ∞ takes the largest |w|).
    ///
    /// Filters are `W[f, :, :, :]` (Li et al. 2017 use p = 1); channels of conv k are
    /// `W_k[:, c, :, :]`; neurons are weight rows; elements are |w| (Han et al. 2015).
    public static func norms(_ model: VGG, granularity: Granularity, p: Double) throws -> [LayerScores] {
        try GroupEnumeration.groups(of: model, at: granularity).map { groups in
            let weight = model.weight(of: groups.layer)
            let layoutGranularity = granularity == .neuron ? .neuron : granularity
            guard let layout = GroupLayout(layoutGranularity, weightShape: weight.value.shape) else {
                throw PruningError.granularityNotApplicable(granularity, layer: groups.name, reason: "weight shape \(weight.value.shape)")
            }
            return LayerScores(groups: groups, scores: norms(of: weight.value.values, layout: layout, p: p))
        }
    }

    /// `groupNorm` of every group of one layer's weight (`layout` must describe `weight`): the per-layer formula the
    /// VGG and graph paths share.
    public static func norms(of weight: [Float], layout: GroupLayout, p: Double) -> [Double] {
        (0..<layout.groupCount).map { groupNorm(weight, indices: layout.indices($0), p: p) }
    }

    /// Uniform scores in [0, 1) from a generator seeded by `seed`: the baseline every
    /// criterion must beat. Global ranking compares them unnormalised, so every unit of the
    /// model is equally likely to go next, whatever its layer's width.
    public static func random(_ model: VGG, granularity: Granularity, seed: UInt64) throws -> [LayerScores] {
        var rng = SeededGenerator(seed: seed)
        return try GroupEnumeration.groups(of: model, at: granularity).map { groups in
            LayerScores(groups: groups, scores: (0..<groups.count).map { _ in Double(rng.nextUnitFloat()) },
                        comparableAcrossLayers: true)
        }
    }
}
