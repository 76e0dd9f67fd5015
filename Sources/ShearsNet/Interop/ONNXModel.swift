import Foundation

/// The subset of ONNX's `onnx.proto3` (IR version 8) that an exported network needs, with
/// the field numbers of that file. Tensors are float32; shapes may name a dimension
/// (`batch`) instead of fixing it.
public struct ONNXModel {
    /// IR version 8 is the one that goes with opset 17 (ONNX 1.12).
    public var irVersion = 8
    /// Version of the default (`ai.onnx`) operator set the nodes follow, `opset_import` (field 8).
    public var opsetVersion = 17
    /// `producer_name` (field 2): the tool that wrote the file.
    public var producerName = "shears"
    /// `producer_version` (field 3), omitted when empty.
    public var producerVersion = ""
    /// The network, `graph` (field 7).
    public var graph: ONNXGraph
    /// `metadata_props`: free-form key/value strings.
    public var metadata: [String: String] = [:]

    /// A model of `graph` with IR version 8, opset 17 and no metadata.
    public init(graph: ONNXGraph) { self.graph = graph }

    /// The serialized `ModelProto`, as an `.onnx` file holds it.
    public func serialized() -> Data {
        var w = ProtobufWriter()
        w.int(1, irVersion)
        w.string(2, producerName)
        if !producerVersion.isEmpty { w.string(3, producerVersion) }
        w.message(7) { graph.encode(into: &$0) }
        w.message(8) { opset in
            opset.string(1, "")                         // the default domain, ai.onnx
            opset.int(2, opsetVersion)
        }
        for key in metadata.keys.sorted() {
            w.message(14) { entry in
                entry.string(1, key)
                entry.string(2, metadata[key]!)
            }
        }
        return Data(w.bytes)
    }
}

/// `GraphProto`: nodes in topological order, constant tensors, and the named inputs and outputs.
public struct ONNXGraph {
    /// `name` (field 2), informational only.
    public var name: String
    /// `node` (field 1): operators in topological order, as ONNX requires.
    public var nodes: [ONNXNode] = []
    /// `initializer` (field 5): the constant tensors (weights, statistics, offsets) nodes read by name.
    public var initializers: [ONNXTensor] = []
    /// `input` (field 11): the tensors a caller feeds.
    public var inputs: [ONNXValueInfo] = []
    /// `output` (field 12): the tensors a caller reads back.
    public var outputs: [ONNXValueInfo] = []

    /// An empty graph called `name`.
    public init(name: String) { self.name = name }

    func encode(into w: inout ProtobufWriter) {
        for node in nodes { w.message(1) { node.encode(into: &$0) } }
        w.string(2, name)
        for tensor in initializers { w.message(5) { tensor.encode(into: &$0) } }
        for input in inputs { w.message(11) { input.encode(into: &$0) } }
        for output in outputs { w.message(12) { output.encode(into: &$0) } }
    }
}

/// `NodeProto`: one operator application.
public struct ONNXNode {
    /// `op_type` (field 4), an `ai.onnx` operator name such as `Conv` or `Gemm`.
    public var opType: String
    /// `name` (field 3), unique within the graph; Shears uses the layer's checkpoint name.
    public var name: String
    /// `input` (field 1): names of the tensors read, in the operator's argument order.
    public var inputs: [String]
    /// `output` (field 2): names of the tensors written.
    public var outputs: [String]
    /// `attribute` (field 5): the operator's settings (`kernel_shape`, `epsilon`, ...).
    public var attributes: [ONNXAttribute]

    /// A node applying `opType`, named `name`, from `inputs` to `outputs`.
    public init(_ opType: String, name: String, inputs: [String], outputs: [String], attributes: [ONNXAttribute] = []) {
        (self.opType, self.name, self.inputs, self.outputs, self.attributes) = (opType, name, inputs, outputs, attributes)
    }

    func encode(into w: inout ProtobufWriter) {
        for input in inputs { w.string(1, input) }
        for output in outputs { w.string(2, output) }
        w.string(3, name)
        w.string(4, opType)
        for attribute in attributes { w.message(5) { attribute.encode(into: &$0) } }
    }
}

/// `AttributeProto` of the three kinds the exporter uses.
public enum ONNXAttribute {
    /// A named `INT` attribute (`group`, `axis`).
    case int(String, Int)
    /// A named `INTS` attribute (`kernel_shape`, `strides`, `pads`).
    case ints(String, [Int])
    /// A named `FLOAT` attribute (`epsilon`).
    case float(String, Float)

    func encode(into w: inout ProtobufWriter) {
        // AttributeType: FLOAT = 1, INT = 2, INTS = 7.
        switch self {
        case let .int(name, value):
            w.string(1, name)
            w.int(3, value)
            w.int(20, 2)
        case let .ints(name, values):
            w.string(1, name)
            w.packedInts(8, values)
            w.int(20, 7)
        case let .float(name, value):
            w.string(1, name)
            w.float(2, value)
            w.int(20, 1)
        }
    }
}

/// `TensorProto` of float32 values (data type 1) in `raw_data`, little-endian, row-major.
public struct ONNXTensor {
    /// `name` (field 8), by which nodes read the tensor.
    public var name: String
    /// The values, written as `dims` (field 1) and `raw_data` (field 9).
    public var tensor: Tensor

    /// An initializer called `name` holding `tensor`.
    public init(name: String, _ tensor: Tensor) { (self.name, self.tensor) = (name, tensor) }

    func encode(into w: inout ProtobufWriter) {
        w.packedInts(1, tensor.shape)
        w.int(2, 1)
        w.string(8, name)
        // x86-64 and arm64 are little-endian, as raw_data is.
        w.data(9, tensor.values.withUnsafeBytes { Array($0) })
    }
}

/// A dimension of a graph input or output: fixed, or named (`dim_param`) and free.
public enum ONNXDimension: Equatable {
    /// A fixed size, `dim_value`.
    case fixed(Int)
    /// A free size called by this name, `dim_param` (`batch`).
    case named(String)
}

/// `ValueInfoProto` of a float32 tensor: its name and shape.
public struct ONNXValueInfo {
    /// The tensor's name, as nodes read or write it.
    public var name: String
    /// The tensor's dimensions, fixed or named.
    public var shape: [ONNXDimension]

    /// The float32 tensor `name` of `shape`.
    public init(name: String, shape: [ONNXDimension]) { (self.name, self.shape) = (name, shape) }

    func encode(into w: inout ProtobufWriter) {
        w.string(1, name)
        w.message(2) { type in                          // TypeProto
            type.message(1) { tensorType in             // TypeProto.Tensor
                tensorType.int(1, 1)                    // elem_type FLOAT
                tensorType.message(2) { shapeProto in   // TensorShapeProto
                    for dimension in shape {
                        shapeProto.message(1) { dim in
                            switch dimension {
                            case let .fixed(size): dim.int(1, size)
                            case let .named(name): dim.string(2, name)
                            }
                        }
                    }
                }
            }
        }
    }
}
