/// VGG as a graph with PyTorch's `nn.Sequential` names (`features.<i>`, `classifier.<i>`), so
/// torchvision-style VGG tensors, and checkpoints of the VGG class of earlier versions, load
/// into it unchanged.
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
