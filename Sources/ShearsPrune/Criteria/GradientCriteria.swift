import ShearsNet

/// The weight form of the first-order Taylor criterion: `|Σ_{q∈group} w_q · ∂L/∂w_q|`,
/// the predicted loss change of zeroing the group (Molchanov et al. 2019), with ∂L/∂w the
/// gradient of the mean loss over the scoring subset.
public enum GradientCriteria {
    /// One `LayerScores` per layer the granularity reaches, from one pass accumulating the mean-loss gradient over
    /// `data` in evaluation mode; leaves the gradients zeroed. Throws `granularityNotApplicable` for a weight without
    /// such groups.
    public static func taylorWeight(_ model: VGG, granularity: Granularity, data: ImageBatchSource,
                                    batchSize: Int) throws -> [LayerScores] {
        let groups = try GroupEnumeration.groups(of: model, at: granularity)
        SubsetLoss.accumulateGradients(model, data: data, batchSize: batchSize)
        defer { model.zeroGradients() }
        return try groups.map { layerGroups in
            let weight = model.weight(of: layerGroups.layer)
            guard let layout = GroupLayout(granularity, weightShape: weight.value.shape) else {
                throw PruningError.granularityNotApplicable(granularity, layer: layerGroups.name, reason: "weight shape \(weight.value.shape)")
            }
            return LayerScores(groups: layerGroups, scores: taylorWeight(weight: weight.value.values, gradient: weight.gradient.values,
                                                                         layout: layout))
        }
    }

    /// `|Σ_{q∈group} w_q · g_q|` for every group of one layer, `g` its accumulated mean-loss gradient (`layout` must
    /// describe both): the per-layer formula the VGG and graph paths share.
    public static func taylorWeight(weight w: [Float], gradient g: [Float], layout: GroupLayout) -> [Double] {
        (0..<layout.groupCount).map { group in
            abs(layout.indices(group).reduce(0.0) { $0 + Double(w[$1]) * Double(g[$1]) })
        }
    }
}
