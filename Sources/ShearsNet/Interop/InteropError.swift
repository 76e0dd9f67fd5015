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
