import ShearsNet

/// Applies a pruning plan to a model: physical removal for structured granularities, masks
/// for element and kernel groups.
///
/// Physical removal is equivalent to masking the group's weights: a removed filter or
/// neuron's remaining constant output is folded into its consumer (see `VGG.keepFilters`).
public enum Surgeon {
    /// Carries out `plan` on `model` in place, highest layer first; throws `granularityNotApplicable` for a removal the
    /// layer has no rule for (a layer group whose conv does not preserve its input's shape).
    public static func apply(_ plan: PruningPlan, to model: VGG) throws {
        // Highest layer first, so that removing a layer does not renumber the ones still to do.
        let order = plan.removals.sorted { rank($0.key) > rank($1.key) }
        for (layer, removed) in order {
            let removedSet = Set(removed)
            switch (plan.granularity, layer) {
            case let (.filter, .convolution(k)):
                model.keepFilters(ofConvolution: k, keptIndices(model.convolutions[k].layer.outChannels, removedSet))
            case let (.channel, .convolution(k)):
                // Input channel c of conv k is filter c of conv k − 1.
                model.keepFilters(ofConvolution: k - 1, keptIndices(model.convolutions[k].layer.inChannels, removedSet))
            case let (.neuron, .linear(k)):
                model.keepNeurons(ofHidden: k, keptIndices(model.linears[k].outFeatures, removedSet))
            case let (.shape, .convolution(k)):
                removeColumns(removed, of: model.convolutions[k].layer)
            case let (.layer, .convolution(k)):
                guard removed == [0], model.isShapePreserving(model.convolutions[k].layer) else {
                    throw PruningError.granularityNotApplicable(.layer, layer: layer.description,
                                                                reason: "only a shape-preserving convolution can become the identity")
                }
                model.replaceWithIdentity(convolution: k)
            case (.element, _), (.kernel, _):
                let weight = model.weight(of: layer)
                guard let layout = GroupLayout(plan.granularity, weightShape: weight.value.shape) else {
                    throw PruningError.granularityNotApplicable(plan.granularity, layer: layer.description,
                                                                reason: "weight shape \(weight.value.shape)")
                }
                mask(removed, of: weight, layout: layout)
            default:
                throw PruningError.granularityNotApplicable(plan.granularity, layer: layer.description,
                                                            reason: "no removal rule for this layer kind")
            }
        }
    }

    /// Masks groups `groups` of `weight` (numbered by `layout`, which must describe it) on top of its existing mask,
    /// and zeroes the masked weights and their gradients: how element and kernel groups are removed on a VGG and on a
    /// graph network alike.
    public static func mask(_ groups: [Int], of weight: Parameter, layout: GroupLayout) {
        var mask = weight.mask ?? [Float](repeating: 1, count: weight.value.count)
        for group in groups { for index in layout.indices(group) { mask[index] = 0 } }
        weight.mask = mask
        weight.applyMask()
    }

    /// Removes GEMM columns `columns` (positions among the im2col rows `conv` still reads) for
    /// good: its weight becomes the `F x K'` matrix of the others (`Conv2D.keepPatchRows`), which
    /// computes what masking those columns would. How shape groups are removed on a VGG and on a
    /// graph network alike.
    public static func removeColumns(_ columns: [Int], of conv: Conv2D) {
        conv.keepPatchRows(keptIndices(conv.weight.value.itemSize, Set(columns)))
    }

    private static func rank(_ layer: PrunableLayer) -> Int {
        switch layer {
        case let .convolution(k): return k
        case let .linear(k): return 1_000_000 + k
        }
    }

    private static func keptIndices(_ count: Int, _ removed: Set<Int>) -> [Int] {
        (0..<count).filter { !removed.contains($0) }
    }
}
