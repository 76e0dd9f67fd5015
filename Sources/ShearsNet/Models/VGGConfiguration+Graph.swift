/// VGG as a graph: the same layers, initialisation order and PyTorch names as `VGG`
/// (`features.<i>`, `classifier.<i>`), so a `VGG`'s tensors load into it unchanged.
extension VGGConfiguration {
    /// The graph of this configuration (dense: the widths as configured).
    public var graph: GraphSpecification {
        var b = GraphBuilder(inputShape: [inputChannels, inputSize, inputSize])
        var x = b.input, position = 0
        func next() -> String { defer { position += 1 }; return "features.\(position)" }
        for item in features {
            switch item {
            case let .conv(width):
                x = b.conv(next(), x, outChannels: width, kernelSize: 3, padding: 1)
                if batchNorm { x = b.batchNorm(next(), x) }
                x = b.relu(next(), x)
            case .pool:
                x = b.maxPool(next(), x)
            }
        }
        x = b.flatten("flatten", x)
        for (index, width) in hidden.enumerated() {
            x = b.relu("classifier.\(2 * index + 1)", b.linear("classifier.\(2 * index)", x, outFeatures: width))
        }
        b.linear("classifier.\(2 * hidden.count)", x, outFeatures: classes)
        return b.specification
    }
}

extension VGG {
    /// The same network as a `GraphNetwork`, sharing no storage: weights, masks, running
    /// statistics, folded offsets and a shape-pruned conv's kept im2col rows (`patchRows`) carry
    /// over under the same names.
    public func asGraph() throws -> GraphNetwork {
        try GraphNetwork.restore(configuration.graph, tensors: stateTensors, source: "VGG.asGraph")
    }
}
