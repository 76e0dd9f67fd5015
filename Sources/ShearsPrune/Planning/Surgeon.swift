import ShearsNet

/// Applies a pruning plan to a model: physical removal for structured granularities, masks
/// for element and kernel groups.
public enum Surgeon {
    public static func apply(_ plan: PruningPlan, to model: VGG) throws {
        for (layer, removed) in plan.removals.sorted(by: { $0.key.description > $1.key.description }) {
            let removedSet = Set(removed)
            switch (plan.granularity, layer) {
            case let (.filter, .convolution(k)):
                model.keepFilters(ofConvolution: k, keptIndices(model.convolutions[k].layer.outChannels, removedSet))
            case let (.channel, .convolution(k)):
                // Input channel c of conv k is filter c of conv k − 1.
                model.keepFilters(ofConvolution: k - 1, keptIndices(model.convolutions[k].layer.inChannels, removedSet))
            case let (.neuron, .linear(k)):
                model.keepNeurons(ofHidden: k, keptIndices(model.linears[k].outFeatures, removedSet))
            case (.element, _), (.kernel, _):
                let weight = model.weight(of: layer)
                guard let layout = GroupLayout(plan.granularity, weightShape: weight.value.shape) else {
                    throw PruningError.granularityNotApplicable(plan.granularity, layer: layer.description,
                                                                reason: "weight shape \(weight.value.shape)")
                }
                var mask = weight.mask ?? [Float](repeating: 1, count: weight.value.count)
                for group in removed { for index in layout.indices(group) { mask[index] = 0 } }
                weight.mask = mask
                weight.applyMask()
            default:
                throw PruningError.granularityNotApplicable(plan.granularity, layer: layer.description,
                                                            reason: "no removal rule for this layer kind")
            }
        }
    }

    private static func keptIndices(_ count: Int, _ removed: Set<Int>) -> [Int] {
        (0..<count).filter { !removed.contains($0) }
    }
}
