import ShearsNet

/// A layer of a VGG whose groups can be scored and removed at a granularity.
public enum PrunableLayer: Hashable, Sendable, CustomStringConvertible, Codable {
    /// Convolution number `k` (0-based, in order).
    case convolution(Int)
    /// Linear layer number `k` of the classifier (0-based).
    case linear(Int)

    public var description: String {
        switch self {
        case let .convolution(k): return "conv\(k)"
        case let .linear(k): return "linear\(k)"
        }
    }
}

/// The groups of one layer at one granularity, with their cost.
public struct LayerGroups: Sendable {
    /// The layer whose weight the groups index; for channel groups, conv k that reads them (conv k − 1 produces them).
    public let layer: PrunableLayer
    /// Checkpoint name of the layer (`features.5`).
    public let name: String
    /// Groups in the layer, numbered `0..<count`.
    public let count: Int
    /// Forward MACs per image that removing each group saves (including the consumer's share).
    public let macsPerGroup: [Int]
    /// Parameters that removing each group deletes (including the consumer's share).
    public let parametersPerGroup: [Int]
}

extension VGG {
    /// Spatial size (height = width) of each convolution's output, in order.
    var convolutionOutputSizes: [Int] {
        var size = configuration.inputSize
        var sizes: [Int] = []
        for layer in features.layers {
            if let conv = layer as? Conv2D {
                size = (size + 2 * conv.padding - conv.kernelHeight) / conv.stride + 1
                sizes.append(size)
            } else if let pool = layer as? MaxPool2D {
                size = (size - pool.size) / pool.stride + 1
            }
        }
        return sizes
    }

    /// The weight parameter of a prunable layer.
    func weight(of layer: PrunableLayer) -> Parameter {
        switch layer {
        case let .convolution(k): return convolutions[k].layer.weight
        case let .linear(k): return linears[k].weight
        }
    }

    /// The bias parameter of a prunable layer.
    func bias(of layer: PrunableLayer) -> Parameter {
        switch layer {
        case let .convolution(k): return convolutions[k].layer.bias
        case let .linear(k): return linears[k].bias
        }
    }

    /// Checkpoint name of a prunable layer.
    func checkpointName(of layer: PrunableLayer) -> String {
        switch layer {
        case let .convolution(k): return "features.\(convolutions[k].position)"
        case let .linear(k):
            let position = classifier.layers.firstIndex { $0 === linears[k] }!
            return "classifier.\(position)"
        }
    }
}
