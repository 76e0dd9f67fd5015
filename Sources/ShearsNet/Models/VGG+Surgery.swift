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
    ///
    /// Removal equals masking the removed filters' weights: such a filter still outputs
    /// ReLU(BN(bias + offset)), which the consumer saw, so that output is folded into the
    /// consumer first (`foldInputPlanes`, or the first linear layer's bias).
    public func keepFilters(ofConvolution k: Int, _ indices: [Int]) {
        let convs = convolutions
        precondition(k >= 0 && k < convs.count, "keepFilters: convolution \(k) of \(convs.count)")
        precondition(!indices.isEmpty, "keepFilters: convolution \(k) cannot lose all its filters")
        let (position, conv) = convs[k]
        let kept = Set(indices)
        let silent = silentOutputs(ofConvolution: k)
        let (planeSize, plane) = (silent.shape[2], silent.shape[2] * silent.shape[3])
        let removedPlanes = Dictionary(uniqueKeysWithValues: (0..<conv.outChannels).filter { !kept.contains($0) }.map {
            ($0, Array(silent.values[($0 * plane)..<(($0 + 1) * plane)]))
        })
        conv.keepOutputChannels(indices)
        if let norm = features.layers[position + 1] as? BatchNorm2D { norm.keepChannels(indices) }
        if k + 1 < convs.count {
            convs[k + 1].layer.foldInputPlanes(removedPlanes, height: planeSize, width: planeSize)
            convs[k + 1].layer.keepInputChannels(indices)
        } else {
            var constants: [Int: Float] = [:]
            for (channel, values) in removedPlanes {
                for (offset, value) in values.enumerated() { constants[channel * plane + offset] = value }
            }
            linears[0].foldConstantInputs(constants)
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
        let kept = Set(indices)
        // A masked neuron outputs ReLU(bias); the next layer's bias absorbs it.
        layers[k + 1].foldConstantInputs(Dictionary(uniqueKeysWithValues: (0..<layers[k].outFeatures)
            .filter { !kept.contains($0) }.map { ($0, max(0, layers[k].bias.value.values[$0])) }))
        layers[k].keepOutputs(indices)
        layers[k + 1].keepInputs(indices)
        configuration.hidden[k] = indices.count
    }

    /// What every filter of convolution `k` outputs, as seen by its consumer, when its
    /// weights are all zero: `bias + offset` through the BatchNorm, ReLU and pools that
    /// follow it, for one image (`[1, F, H, W]` at the consumer's input resolution).
    func silentOutputs(ofConvolution k: Int) -> Tensor {
        let position = convolutions[k].position
        let next = k + 1 < convolutions.count ? convolutions[k + 1].position : features.layers.count
        let size = featureInputSize(at: position)
        var x = Tensor(shape: [1, convolutions[k].layer.inChannels, size, size])
        for layer in features.layers[position..<next] { x = layer.forward(x, training: false) }
        return x
    }

    /// Whether a convolution's output has its input's shape (same channels, stride 1, "same" padding).
    public func isShapePreserving(_ conv: Conv2D) -> Bool {
        conv.inChannels == conv.outChannels && conv.stride == 1 && conv.kernelHeight == conv.kernelWidth
            && 2 * conv.padding == conv.kernelHeight - 1
    }

    /// Height (= width) of the input of `features.layers[position]`.
    public func featureInputSize(at position: Int) -> Int {
        features.layers[..<position].reduce(configuration.inputSize) { size, layer in
            layer.outputShape(for: [1, 1, size, size])[2]
        }
    }

    /// Replaces convolution `k` (with its BatchNorm and ReLU) by the identity: layer-wise
    /// pruning. Only a convolution whose output has its input's shape can go.
    public func replaceWithIdentity(convolution k: Int) {
        let (position, conv) = convolutions[k]
        precondition(isShapePreserving(conv), "replaceWithIdentity: convolution \(k) changes the shape")
        let end = features.layers[position...].firstIndex { $0 is ReLU }! + 1
        features.layers.removeSubrange(position..<end)
        (features.layers.first as? Conv2D)?.computesInputGradient = false
        var convolutionNumber = -1
        configuration.features = configuration.features.filter { item in
            guard case .conv = item else { return true }
            convolutionNumber += 1
            return convolutionNumber != k
        }
    }
}
