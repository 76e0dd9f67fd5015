/// Structural surgery on a VGG: removing filters or hidden neurons together with everything
/// that consumes them, and keeping `configuration` true to the new widths.
extension VGG {
    /// The convolutions in order, with their position in `features.layers`.
    public var convolutions: [(position: Int, layer: Conv2D)] {
        features.layers.enumerated().compactMap { position, layer in
            (layer as? Conv2D).map { (position, $0) }
        }
    }

    /// The linear layers in order (the last one produces the logits).
    public var linears: [Linear] { classifier.layers.compactMap { $0 as? Linear } }

    /// Keeps filters `indices` (ascending) of convolution `k`: its weights and bias, a
    /// following BatchNorm's channels, and the consumer's matching inputs: the next
    /// convolution's input channels, or, after the last one, the first linear layer's column
    /// block of each kept channel (flatten order is channel-major).
    public func keepFilters(ofConvolution k: Int, _ indices: [Int]) {
        let convs = convolutions
        precondition(k >= 0 && k < convs.count, "keepFilters: convolution \(k) of \(convs.count)")
        precondition(!indices.isEmpty, "keepFilters: convolution \(k) cannot lose all its filters")
        let (position, conv) = convs[k]
        conv.keepOutputChannels(indices)
        if let norm = features.layers[position + 1] as? BatchNorm2D { norm.keepChannels(indices) }
        if k + 1 < convs.count {
            convs[k + 1].layer.keepInputChannels(indices)
        } else {
            let plane = configuration.featureOutput.size * configuration.featureOutput.size
            linears[0].keepInputs(indices.flatMap { channel in (channel * plane)..<((channel + 1) * plane) })
        }
        var convolutionNumber = -1
        configuration.features = configuration.features.map { item in
            guard case .conv = item else { return item }
            convolutionNumber += 1
            return convolutionNumber == k ? .conv(indices.count) : item
        }
    }

    /// Keeps neurons `indices` of hidden linear layer `k` and the next layer's matching inputs.
    public func keepNeurons(ofHidden k: Int, _ indices: [Int]) {
        precondition(k >= 0 && k < configuration.hidden.count, "keepNeurons: hidden layer \(k) of \(configuration.hidden.count)")
        precondition(!indices.isEmpty, "keepNeurons: hidden layer \(k) cannot lose all its neurons")
        let layers = linears
        layers[k].keepOutputs(indices)
        layers[k + 1].keepInputs(indices)
        configuration.hidden[k] = indices.count
    }
}
