import ShearsNet

/// Which layers take part at each granularity, and what each group costs.
///
/// - filter: every convolution; a filter's cost includes the consumer's matching input
///   (next conv's input channel, or the first linear layer's column block).
/// - channel: input channels of convolutions 1…; removing one removes the producing filter
///   too, so it costs the same as that filter.
/// - neuron: hidden linear layers, with the next layer's matching column.
/// - element / kernel: every convolution (and, for element, every linear layer); masked, so
///   the cost is that of the weights alone.
/// - shape: every convolution's GEMM columns; a column costs one weight per filter, used at
///   every output pixel.
/// - layer: every shape-preserving convolution, one group each (the whole conv).
public enum GroupEnumeration {
    /// Every layer with groups at `granularity`, in network order, with their count and what each saves. Throws
    /// `granularityNotApplicable` when the model has none (no conv, fewer than two for channels, no hidden linear
    /// layer, no shape-preserving conv).
    public static func groups(of model: VGG, at granularity: Granularity) throws -> [LayerGroups] {
        let convs = model.convolutions
        let sizes = model.convolutionOutputSizes
        let featureSize = model.configuration.featureOutput.size
        // Cost of removing one filter of conv k: its weights over its output plane, plus the consumer's input slice.
        func filterCost(_ k: Int) -> (macs: Int, parameters: Int) {
            let conv = convs[k].layer
            let own = conv.inChannels * conv.kernelHeight * conv.kernelWidth
            var macs = own * sizes[k] * sizes[k], parameters = own + 1
            if k + 1 < convs.count {
                let next = convs[k + 1].layer
                let slice = next.outChannels * next.kernelHeight * next.kernelWidth
                macs += slice * sizes[k + 1] * sizes[k + 1]
                parameters += slice
            } else {
                let slice = model.linears[0].outFeatures * featureSize * featureSize
                macs += slice
                parameters += slice
            }
            return (macs, parameters)
        }
        switch granularity {
        case .filter:
            guard !convs.isEmpty else {
                throw PruningError.granularityNotApplicable(.filter, layer: "the model", reason: "it has no convolutions")
            }
            return convs.indices.map { k in
                let cost = filterCost(k)
                return LayerGroups(layer: .convolution(k), name: model.checkpointName(of: .convolution(k)),
                                   count: convs[k].layer.outChannels,
                                   macsPerGroup: Array(repeating: cost.macs, count: convs[k].layer.outChannels),
                                   parametersPerGroup: Array(repeating: cost.parameters, count: convs[k].layer.outChannels))
            }
        case .channel:
            guard convs.count > 1 else {
                throw PruningError.granularityNotApplicable(.channel, layer: "the model", reason: "it has fewer than two convolutions")
            }
            return (1..<convs.count).map { k in
                let cost = filterCost(k - 1)
                let channels = convs[k].layer.inChannels
                return LayerGroups(layer: .convolution(k), name: model.checkpointName(of: .convolution(k)), count: channels,
                                   macsPerGroup: Array(repeating: cost.macs, count: channels),
                                   parametersPerGroup: Array(repeating: cost.parameters, count: channels))
            }
        case .neuron:
            let linears = model.linears
            guard linears.count > 1 else {
                throw PruningError.granularityNotApplicable(.neuron, layer: "the classifier", reason: "it has no hidden layer")
            }
            return (0..<(linears.count - 1)).map { k in
                let cost = linears[k].inFeatures + linears[k + 1].outFeatures
                return LayerGroups(layer: .linear(k), name: model.checkpointName(of: .linear(k)), count: linears[k].outFeatures,
                                   macsPerGroup: Array(repeating: cost, count: linears[k].outFeatures),
                                   parametersPerGroup: Array(repeating: cost + 1, count: linears[k].outFeatures))
            }
        case .element, .kernel:
            guard granularity == .element || !convs.isEmpty else {
                throw PruningError.granularityNotApplicable(.kernel, layer: "the model", reason: "it has no convolutions")
            }
            var result: [LayerGroups] = convs.indices.map { k in
                let conv = convs[k].layer
                let layout = GroupLayout(granularity, weightShape: conv.weight.value.shape)!
                let perGroup = conv.weight.value.count / layout.groupCount
                return LayerGroups(layer: .convolution(k), name: model.checkpointName(of: .convolution(k)),
                                   count: layout.groupCount,
                                   macsPerGroup: Array(repeating: perGroup * sizes[k] * sizes[k], count: layout.groupCount),
                                   parametersPerGroup: Array(repeating: perGroup, count: layout.groupCount))
            }
            if granularity == .element {
                result += model.linears.indices.map { k in
                    let count = model.linears[k].weight.value.count
                    return LayerGroups(layer: .linear(k), name: model.checkpointName(of: .linear(k)), count: count,
                                       macsPerGroup: Array(repeating: 1, count: count),
                                       parametersPerGroup: Array(repeating: 1, count: count))
                }
            }
            return result
        case .shape:
            guard !convs.isEmpty else {
                throw PruningError.granularityNotApplicable(.shape, layer: "the model", reason: "it has no convolutions")
            }
            return convs.indices.map { k in
                let conv = convs[k].layer
                let columns = conv.weight.value.itemSize
                return LayerGroups(layer: .convolution(k), name: model.checkpointName(of: .convolution(k)), count: columns,
                                   macsPerGroup: Array(repeating: conv.outChannels * sizes[k] * sizes[k], count: columns),
                                   parametersPerGroup: Array(repeating: conv.outChannels, count: columns))
            }
        case .layer:
            let candidates = convs.indices.filter { model.isShapePreserving(convs[$0].layer) }
            guard !candidates.isEmpty else {
                throw PruningError.granularityNotApplicable(.layer, layer: "the model",
                                                            reason: "no convolution keeps its input's shape")
            }
            return candidates.map { k in
                let conv = convs[k].layer
                let norm = (model.features.layers[convs[k].position + 1] as? BatchNorm2D)?.channels ?? 0
                return LayerGroups(layer: .convolution(k), name: model.checkpointName(of: .convolution(k)), count: 1,
                                   macsPerGroup: [conv.weight.value.count * sizes[k] * sizes[k]],
                                   parametersPerGroup: [conv.weight.value.count + conv.bias.value.count + 2 * norm])
            }
        }
    }

    /// The layers that read conv filters: every conv after the first, and the first linear layer.
    static func convolutionConsumers(_ model: VGG) -> [PrunableLayer] {
        (1..<max(1, model.convolutions.count)).map { PrunableLayer.convolution($0) } + [.linear(0)]
    }
}
