import ShearsNet

/// The oracle: the measured change of the mean loss on the scoring subset when one group
/// alone is removed, `ΔL = L(without group) − L` (Molchanov et al. 2017, §2.2 "oracle").
///
/// Removal is simulated exactly as `Surgeon` performs it: the group's weights are zeroed (a
/// filter or neuron then outputs only its constant ReLU(BN(bias)), which physical removal
/// folds into the consumer); a layer group is replaced by the identity on a copy of the model.
/// `signed` keeps ΔL (oracle-loss: groups whose removal *lowers* the loss go first),
/// otherwise |ΔL| (oracle-abs).
public enum OracleCriterion {
    /// Above this many groups one forward pass per group is impractical (element granularity).
    public static let maximumGroups = 20_000

    /// Each group's ΔL (|ΔL| unless `signed`) over `data` in batches of `batchSize`, one pass per group, the weights
    /// restored after each. Throws `granularityNotApplicable` above `maximumGroups` groups or for a layer without a
    /// removal rule.
    public static func scores(_ model: VGG, granularity: Granularity, signed: Bool, data: ImageBatchSource,
                              batchSize: Int) throws -> [LayerScores] {
        let groups = try GroupEnumeration.groups(of: model, at: granularity)
        let total = groups.reduce(0) { $0 + $1.count }
        guard total <= maximumGroups else {
            throw PruningError.granularityNotApplicable(granularity, layer: "the model",
                                                        reason: "the oracle would need \(total) passes over the data (limit \(maximumGroups))")
        }
        let base = SubsetLoss.meanLoss(model, data: data, batchSize: batchSize)
        return try groups.map { layerGroups in
            var scores: [Double] = []
            for group in 0..<layerGroups.count {
                if granularity == .layer, case let .convolution(k) = layerGroups.layer {
                    let without = model.copy()
                    without.replaceWithIdentity(convolution: k)
                    let change = SubsetLoss.meanLoss(without, data: data, batchSize: batchSize) - base
                    scores.append(signed ? change : abs(change))
                    continue
                }
                let parameters = try silencedParameters(model, layerGroups.layer, granularity: granularity, group: group)
                let saved = parameters.map { ($0.parameter, $0.parameter.value.values) }
                for (parameter, indices) in parameters { for i in indices { parameter.value.values[i] = 0 } }
                let change = SubsetLoss.meanLoss(model, data: data, batchSize: batchSize) - base
                for (parameter, values) in saved { parameter.value.values = values }
                scores.append(signed ? change : abs(change))
            }
            return LayerScores(groups: layerGroups, scores: scores)
        }
    }

    /// The weight entries to zero so that the group's contribution is what removal leaves.
    static func silencedParameters(_ model: VGG, _ layer: PrunableLayer, granularity: Granularity,
                                   group: Int) throws -> [(parameter: Parameter, indices: [Int])] {
        switch (granularity, layer) {
        case let (.filter, .convolution(k)), let (.channel, .convolution(k)):
            let conv = model.convolutions[granularity == .channel ? k - 1 : k].layer
            let size = conv.weight.value.itemSize
            return [(conv.weight, Array((group * size)..<((group + 1) * size)))]
        case let (.neuron, .linear(k)):
            let linear = model.linears[k]
            return [(linear.weight, Array((group * linear.inFeatures)..<((group + 1) * linear.inFeatures)))]
        case (.element, _), (.kernel, _), (.shape, _):
            let weight = model.weight(of: layer)
            guard let layout = GroupLayout(granularity, weightShape: weight.value.shape) else {
                throw PruningError.granularityNotApplicable(granularity, layer: layer.description, reason: "weight shape \(weight.value.shape)")
            }
            return [(weight, layout.indices(group))]
        default:
            throw PruningError.granularityNotApplicable(granularity, layer: layer.description, reason: "no oracle removal rule")
        }
    }
}
