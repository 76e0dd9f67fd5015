/// A VGG-style classifier built from a `VGGConfiguration`: `features`, flatten, `classifier`.
///
/// Parameters carry PyTorch `nn.Sequential` names (`features.0.weight`, `classifier.2.bias`),
/// so checkpoints load in other tools unchanged.
public final class VGG: Layer {
    /// The architecture at the current widths; structural pruning updates it with the layers, so it always
    /// describes the model as saved.
    public internal(set) var configuration: VGGConfiguration
    /// Conv, optional BatchNorm, ReLU and max-pool layers, in PyTorch's `features.<index>` order.
    public let features: Sequential
    /// Turns the last feature map `N x C x h x w` into `N x (C·h·w)`, channel-major.
    public let flatten = Flatten()
    /// Linear layers with ReLU between them; the last one outputs `classes` logits.
    public let classifier: Sequential

    /// A freshly initialised network (PyTorch's default initialisation from a generator seeded with `seed`).
    public init(_ configuration: VGGConfiguration, seed: UInt64) {
        precondition(configuration.featureOutput.size >= 1,
                     "VGG: \(configuration.inputSize)x\(configuration.inputSize) input pooled below 1x1")
        var rng = SeededGenerator(seed: seed)
        var layers: [Layer] = []
        var channels = configuration.inputChannels
        for item in configuration.features {
            switch item {
            case let .conv(width):
                layers.append(Conv2D(inChannels: channels, outChannels: width, kernelSize: 3, padding: 1, rng: &rng))
                if configuration.batchNorm { layers.append(BatchNorm2D(channels: width)) }
                layers.append(ReLU())
                channels = width
            case .pool:
                layers.append(MaxPool2D(size: 2))
            }
        }
        // Nothing consumes the input image's gradient.
        (layers.first as? Conv2D)?.computesInputGradient = false
        features = Sequential(layers)
        var head: [Layer] = []
        var inputs = configuration.flattenedFeatures
        for width in configuration.hidden {
            head.append(Linear(inFeatures: inputs, outFeatures: width, rng: &rng))
            head.append(ReLU())
            inputs = width
        }
        head.append(Linear(inFeatures: inputs, outFeatures: configuration.classes, rng: &rng))
        classifier = Sequential(head)
        self.configuration = configuration
    }

    public var parameters: [Parameter] { features.parameters + classifier.parameters }

    /// `(name, parameter)` in checkpoint order, named as PyTorch's `nn.Sequential` would.
    public var namedParameters: [(String, Parameter)] {
        func named(_ prefix: String, _ sequential: Sequential) -> [(String, Parameter)] {
            sequential.layers.enumerated().flatMap { index, layer in
                layer.parameters.map { ("\(prefix).\(index).\($0.name)", $0) }
            }
        }
        return named("features", features) + named("classifier", classifier)
    }

    public func outputShape(for inputShape: [Int]) -> [Int] { [inputShape[0], configuration.classes] }

    /// `[N, inputChannels, inputSize, inputSize] → [N, classes]` logits.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.shape.count == 4 && Array(input.shape.dropFirst())
                        == [configuration.inputChannels, configuration.inputSize, configuration.inputSize],
                     "VGG.forward: expected [N, \(configuration.inputChannels), \(configuration.inputSize), "
                        + "\(configuration.inputSize)], got \(input.shape)")
        let x = features.forward(input, training: training)
        return classifier.forward(flatten.forward(x, training: training), training: training)
    }

    /// Back through the classifier, flatten and features; returns ∂loss/∂input, which is zeros when the first
    /// layer is a conv (it skips its input gradient, which nothing reads).
    public func backward(_ outputGradient: Tensor) -> Tensor {
        features.backward(flatten.backward(classifier.backward(outputGradient)))
    }
}
