import Foundation

/// What an export or import cannot do, naming the layer or tensor.
public enum InteropError: Error, Equatable, CustomStringConvertible {
    /// The ONNX exporter meets a layer type it has no translation for; `kind` is its Swift type.
    case unsupportedLayer(name: String, kind: String)
    /// A tensor or layer state cannot be written as a plain PyTorch state dict (`reason` says which and why).
    case noTorchCounterpart(name: String, reason: String)
    /// Two ONNX tensors or nodes would have one name (a graph node named like a tensor the
    /// exporter derives, `<node>.conv`, or like the output `logits`).
    case nameClash(name: String)

    public var description: String {
        switch self {
        case let .unsupportedLayer(name, kind): return "layer '\(name)' (\(kind)) has no exporter"
        case let .noTorchCounterpart(name, reason): return "'\(name)': \(reason)"
        case let .nameClash(name): return "the ONNX name '\(name)' would be used twice; rename the graph node that clashes"
        }
    }
}

/// VGG networks as ONNX models (opset 17, float32).
extension VGG {
    /// Name of the graph input, the normalised images `[batch, C, H, W]`.
    public static let onnxInputName = "input"
    /// Name of the graph output, the logits `[batch, classes]`.
    public static let onnxOutputName = "logits"

    /// The network as an ONNX graph: input `input` (`[batch, C, H, W]`, normalised images as
    /// Shears feeds them), output `logits` (`[batch, classes]`), `batch` free. Every state of
    /// a pruned network is kept: shrunk shapes, masked weights (as zeros), shape-pruned
    /// convolutions (dense weights with zero rows) and folded `output_offset`s (an `Add`).
    public func onnxModel(metadata: [String: String] = [:]) throws -> ONNXModel {
        let c = configuration
        var builder = ONNXGraphBuilder(name: "shears-vgg")
        builder.addInput(Self.onnxInputName, shape: [.named("batch"), .fixed(c.inputChannels), .fixed(c.inputSize), .fixed(c.inputSize)])
        var x = Self.onnxInputName
        for (position, layer) in features.layers.enumerated() {
            let name = "features.\(position)"
            x = try builder.layer(layer, name: name, input: x, output: name)
        }
        x = builder.flatten(name: "flatten", input: x, output: "flatten")
        for (position, layer) in classifier.layers.enumerated() {
            let name = "classifier.\(position)"
            x = try builder.layer(layer, name: name, input: x,
                                  output: position == classifier.layers.count - 1 ? Self.onnxOutputName : name)
        }
        builder.addOutput(x, shape: [.named("batch"), .fixed(c.classes)])
        var model = ONNXModel(graph: builder.graph)
        model.metadata = metadata
        return model
    }

    /// Writes `onnxModel(metadata:)` atomically to `path`.
    public func writeONNX(to path: String, metadata: [String: String] = [:]) throws {
        try AtomicFile.write(try onnxModel(metadata: metadata).serialized(), to: path)
    }
}

extension ONNXGraphBuilder {
    /// Emits any layer a VGG or a graph network is built from; another kind is an error naming it.
    mutating func layer(_ layer: Layer, name: String, input: String, output: String) throws -> String {
        switch layer {
        case let conv as Conv2D: return conv2D(conv, name: name, input: input, output: output)
        case let norm as BatchNorm2D: return batchNorm(norm, name: name, input: input, output: output)
        case is ReLU: return relu(name: name, input: input, output: output)
        case let pool as MaxPool2D: return maxPool(pool, name: name, input: input, output: output)
        case is GlobalAveragePool: return globalAveragePool(name: name, input: input, output: output)
        case is Flatten: return flatten(name: name, input: input, output: output)
        case let dense as Linear: return linear(dense, name: name, input: input, output: output)
        default: throw InteropError.unsupportedLayer(name: name, kind: "\(type(of: layer))")
        }
    }
}
