/// One entry of a torchvision-style VGG feature list: a 3x3 conv with that many output
/// channels, or `"M"`, a 2x2 max-pool with stride 2.
public enum VGGItem: Equatable, Sendable, Codable {
    /// A 3x3 conv (stride 1, padding 1) with this many output channels, then BatchNorm when the configuration's
    /// `batchNorm` is set, then ReLU; written as the integer.
    case conv(Int)
    /// A 2x2 max-pool with stride 2, which halves height and width (floor); written as `"M"`.
    case pool

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let width = try? container.decode(Int.self) {
            self = .conv(width)
        } else if try container.decode(String.self) == "M" {
            self = .pool
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a channel count or \"M\"")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case let .conv(width): try container.encode(width)
        case .pool: try container.encode("M")
        }
    }
}

/// A VGG-style network: 3x3 convs (stride 1, padding 1) + ReLU, optional batch norm, 2x2
/// max-pools, flatten (channel-major), then linear layers with ReLU between them.
///
/// The widths here are the *actual* widths, so a structurally pruned model is described by
/// the same type and reloads at its new shapes.
public struct VGGConfiguration: Equatable, Sendable, Codable {
    /// The feature layers in order, as torchvision writes them (`[64, "M", 128, ...]`).
    public var features: [VGGItem]
    /// Widths of the hidden linear layers (the last layer has `classes` outputs).
    public var hidden: [Int]
    /// Channels of the input image (1 for Fashion-MNIST, 3 for CIFAR).
    public var inputChannels: Int
    /// Height and width of the (square) input image, in pixels.
    public var inputSize: Int
    /// Number of classes, the width of the last linear layer.
    public var classes: Int
    /// Whether each conv is followed by a `BatchNorm2D` (before its ReLU).
    public var batchNorm: Bool

    /// A configuration from its parts; `hidden` may be empty (a single linear layer after the features).
    public init(features: [VGGItem], hidden: [Int], inputChannels: Int, inputSize: Int, classes: Int,
                batchNorm: Bool = false) {
        self.features = features
        self.hidden = hidden
        self.inputChannels = inputChannels
        self.inputSize = inputSize
        self.classes = classes
        self.batchNorm = batchNorm
    }

    /// `vgg-s` exactly as `shared/reference/vgg-s.md`: `[32, 32, M, 64, 64, M, 128, M]`,
    /// classifier 1152 → 256 → 10, for 1 x 28 x 28 inputs; 436,586 parameters.
    public static let vggS = VGGConfiguration(
        features: [.conv(32), .conv(32), .pool, .conv(64), .conv(64), .pool, .conv(128), .pool],
        hidden: [256], inputChannels: 1, inputSize: 28, classes: 10)

    /// VGG-11 (configuration A of Simonyan & Zisserman 2015) for 3 x 32 x 32 inputs,
    /// with the common CIFAR classifier 512 → 512 → 512 → classes.
    public static let vgg11 = VGGConfiguration(
        features: [.conv(64), .pool, .conv(128), .pool, .conv(256), .conv(256), .pool,
                   .conv(512), .conv(512), .pool, .conv(512), .conv(512), .pool],
        hidden: [512, 512], inputChannels: 3, inputSize: 32, classes: 10)

    /// VGG-16 (configuration D) for 3 x 32 x 32 inputs, classifier 512 → 512 → 512 → classes.
    public static let vgg16 = VGGConfiguration(
        features: [.conv(64), .conv(64), .pool, .conv(128), .conv(128), .pool, .conv(256), .conv(256), .conv(256), .pool,
                   .conv(512), .conv(512), .conv(512), .pool, .conv(512), .conv(512), .conv(512), .pool],
        hidden: [512, 512], inputChannels: 3, inputSize: 32, classes: 10)

    /// A multilayer perceptron for small-network experiments: no convolutions, the image is
    /// flattened and passed through `hidden` ReLU layers (names `classifier.0`, `classifier.2`, …).
    public static func mlp(inputChannels: Int, inputSize: Int, hidden: [Int], classes: Int) -> VGGConfiguration {
        VGGConfiguration(features: [], hidden: hidden, inputChannels: inputChannels, inputSize: inputSize, classes: classes)
    }

    /// The preset called `name` (`vgg-s`, `vgg11`, `vgg16`), or nil.
    public static func preset(_ name: String) -> VGGConfiguration? {
        ["vgg-s": vggS, "vgg11": vgg11, "vgg16": vgg16][name]
    }

    /// Names `preset(_:)` accepts, in the order the CLI lists them.
    public static let presetNames = ["vgg-s", "vgg11", "vgg16"]

    /// Every conv width scaled by `multiplier` (rounded, at least 1); the classifier's first
    /// input follows.
    public func scaled(by multiplier: Double) -> VGGConfiguration {
        precondition(multiplier > 0, "VGGConfiguration.scaled: multiplier \(multiplier)")
        var copy = self
        copy.features = features.map {
            if case let .conv(width) = $0 { return .conv(max(1, Int((Double(width) * multiplier).rounded()))) }
            return .pool
        }
        return copy
    }

    /// Channels and spatial size after the feature extractor.
    public var featureOutput: (channels: Int, size: Int) {
        var channels = inputChannels, size = inputSize
        for item in features {
            switch item {
            case let .conv(width): channels = width
            case .pool: size /= 2
            }
        }
        return (channels, size)
    }

    /// Inputs of the first linear layer: channels x size x size.
    public var flattenedFeatures: Int {
        let output = featureOutput
        return output.channels * output.size * output.size
    }
}
