import ShearsNet

/// Parameters and multiply-accumulates of one layer, per image.
///
/// Convention (`shared/reference/vgg-s.md`): FLOPs = 2 x MACs of conv and linear layers;
/// bias adds, ReLU, pooling and batch norm are not counted. `nonZero…` count only weights
/// that are non-zero (masked or exactly zero weights do no useful work), for unstructured
/// pruning, where the dense shape is unchanged.
public struct LayerCost: Equatable, Sendable, Codable {
    /// Checkpoint name of the layer (`features.3`, `classifier.0`).
    public let name: String
    /// Stored values the layer computes with: weights, biases, BatchNorm scales and shifts, a conv's `output_offset`.
    public let parameters: Int
    /// Multiply-accumulates per image: each weight once per output position (`Ho·Wo` for a conv, once for a linear
    /// layer); 0 for BatchNorm.
    public let macs: Int
    /// How many of `parameters` are not exactly zero (a masked weight is zero).
    public let nonZeroParameters: Int
    /// MACs per image of the non-zero weights alone: what is left to compute after unstructured pruning.
    public let nonZeroMacs: Int

    /// `2 · macs`: a multiply and an add per MAC.
    public var flops: Int { 2 * macs }
    /// `2 · nonZeroMacs`, what a FLOPs target counts at the masked granularities (element, kernel).
    public var nonZeroFlops: Int { 2 * nonZeroMacs }
}

/// The cost of a whole model, layer by layer, for one image.
public struct ModelCost: Equatable, Sendable, Codable {
    /// One entry per conv, BatchNorm and linear layer, in network order; pools and ReLUs cost nothing and are absent.
    public let layers: [LayerCost]

    /// Σ of the layers' `parameters`, biases, BatchNorm and folded offsets included.
    public var parameters: Int { layers.reduce(0) { $0 + $1.parameters } }
    /// Σ of the layers' MACs per image at the current (possibly pruned) shapes.
    public var macs: Int { layers.reduce(0) { $0 + $1.macs } }
    /// `2 · macs` per image, the dense count a FLOPs target uses at structured granularities.
    public var flops: Int { 2 * macs }
    /// Σ of the layers' non-zero parameters; `1 − nonZeroParameters / parameters` is the sparsity.
    public var nonZeroParameters: Int { layers.reduce(0) { $0 + $1.nonZeroParameters } }
    /// Σ of the layers' MACs of non-zero weights per image.
    public var nonZeroMacs: Int { layers.reduce(0) { $0 + $1.nonZeroMacs } }
    /// `2 · nonZeroMacs` per image, the count a FLOPs target uses at masked granularities.
    public var nonZeroFlops: Int { 2 * nonZeroMacs }

    /// Counts a VGG at its current (possibly pruned) shapes.
    ///
    /// A conv weight is used once per output pixel (`Ho·Wo` MACs each); a linear weight once.
    /// Parameters include biases (and BatchNorm scales and shifts) and a conv's folded
    /// `output_offset` (`F x Ho x Wo` stored values, a per-position bias); MACs do not.
    public init(_ model: VGG) {
        var costs: [LayerCost] = []
        var size = model.configuration.inputSize
        for (position, layer) in model.features.layers.enumerated() {
            let name = "features.\(position)"
            if let conv = layer as? Conv2D {
                size = (size + 2 * conv.padding - conv.kernelHeight) / conv.stride + 1
                costs.append(Self.cost(name, weight: conv.weight, bias: conv.bias, uses: size * size, offset: conv.outputOffset))
            } else if let pool = layer as? MaxPool2D {
                size = (size - pool.size) / pool.stride + 1
            } else if let norm = layer as? BatchNorm2D {
                let p = 2 * norm.channels
                costs.append(LayerCost(name: name, parameters: p, macs: 0, nonZeroParameters: p, nonZeroMacs: 0))
            }
        }
        for (position, layer) in model.classifier.layers.enumerated() {
            if let linear = layer as? Linear {
                costs.append(Self.cost("classifier.\(position)", weight: linear.weight, bias: linear.bias, uses: 1))
            }
        }
        layers = costs
    }

    /// Counts the dense model a configuration describes, without building it (3x3 convs with
    /// padding 1, 2x2 pools, as `VGG` builds them).
    public init(_ configuration: VGGConfiguration) {
        var costs: [LayerCost] = []
        var (channels, size, position) = (configuration.inputChannels, configuration.inputSize, 0)
        for item in configuration.features {
            switch item {
            case let .conv(width):
                let weights = width * channels * 9
                costs.append(LayerCost(name: "features.\(position)", parameters: weights + width, macs: weights * size * size,
                                       nonZeroParameters: weights + width, nonZeroMacs: weights * size * size))
                if configuration.batchNorm {
                    costs.append(LayerCost(name: "features.\(position + 1)", parameters: 2 * width, macs: 0,
                                           nonZeroParameters: 2 * width, nonZeroMacs: 0))
                }
                (channels, position) = (width, position + (configuration.batchNorm ? 3 : 2))
            case .pool:
                (size, position) = (size / 2, position + 1)
            }
        }
        var inputs = configuration.flattenedFeatures
        for (index, width) in (configuration.hidden + [configuration.classes]).enumerated() {
            costs.append(LayerCost(name: "classifier.\(2 * index)", parameters: inputs * width + width, macs: inputs * width,
                                   nonZeroParameters: inputs * width + width, nonZeroMacs: inputs * width))
            inputs = width
        }
        layers = costs
    }

    private static func cost(_ name: String, weight: Parameter, bias: Parameter, uses: Int, offset: Tensor? = nil) -> LayerCost {
        let nonZeroWeights = weight.value.values.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
        let nonZeroBiases = bias.value.values.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
        let nonZeroOffsets = offset?.values.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } ?? 0
        return LayerCost(name: name, parameters: weight.value.count + bias.value.count + (offset?.count ?? 0),
                         macs: weight.value.count * uses,
                         nonZeroParameters: nonZeroWeights + nonZeroBiases + nonZeroOffsets, nonZeroMacs: nonZeroWeights * uses)
    }
}
