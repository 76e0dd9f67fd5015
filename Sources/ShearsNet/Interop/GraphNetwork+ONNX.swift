/// Graph networks (`resnet-s`, any `GraphBuilder` model) as ONNX models (opset 17, float32).
extension GraphNetwork {
    /// Name of the graph input, the normalised images `[batch, C, H, W]` (`input`).
    public static let onnxInputName = "input"
    /// Name of the graph output, the logits `[batch, classes]` (`logits`).
    public static let onnxOutputName = "logits"

    /// The network as an ONNX graph: input `input` (`[batch, C, H, W]`, normalised images as
    /// Shears feeds them), output `logits` (`[batch, classes]`), `batch` free. One ONNX node
    /// per graph node, named as the node (`layer2.0.conv1`), writing a tensor of that name
    /// (the last writes `logits`); initializers are the checkpoint's tensors
    /// (`layer2.0.bn1.running_mean`). Convs without bias have no bias input; an `add` node of
    /// more than two inputs becomes a chain of `Add`s; a folded `output_offset` is an `Add` of
    /// its `F x Ho x Wo` initializer after the `Conv` (`<node>.add_offset`). Throws
    /// `InteropError.nameClash` if a node's name collides with a derived tensor name.
    public func onnxModel(metadata: [String: String] = [:]) throws -> ONNXModel {
        let spec = specification
        var builder = ONNXGraphBuilder(name: "shears-graph")
        builder.addInput(Self.onnxInputName, shape: [.named("batch")] + spec.inputShape.map { .fixed($0) })
        var output = Self.onnxInputName
        for (position, node) in nodes.enumerated() {
            let inputs = spec.nodes[position].inputs.map { $0 == GraphSpecification.inputName ? Self.onnxInputName : $0 }
            let target = position == nodes.count - 1 ? Self.onnxOutputName : node.name
            switch (node.operation, node.layer) {
            case (.add, _): output = builder.add(name: node.name, inputs: inputs, output: target)
            case (.concat, _): output = builder.concat(name: node.name, inputs: inputs, output: target)
            case let (_, layer?): output = try builder.layer(layer, name: node.name, input: inputs[0], output: target)
            case (_, nil): throw InteropError.unsupportedLayer(name: node.name, kind: "\(node.operation)")
            }
        }
        builder.addOutput(output, shape: [.named("batch"), .fixed(spec.classes)])
        try Self.checkUniqueNames(builder.graph)
        var model = ONNXModel(graph: builder.graph)
        model.metadata = metadata
        return model
    }

    /// Writes `onnxModel(metadata:)` atomically to `path`.
    public func writeONNX(to path: String, metadata: [String: String] = [:]) throws {
        try AtomicFile.write(try onnxModel(metadata: metadata).serialized(), to: path)
    }

    /// ONNX wants every tensor written once (the input, initializers, node outputs) and
    /// distinct node names; graph node names are free, so a node called `x.conv` next to a
    /// conv `x` with an offset could collide.
    static func checkUniqueNames(_ graph: ONNXGraph) throws {
        var tensors: Set<String> = [], nodeNames: Set<String> = []
        let written = graph.inputs.map(\.name) + graph.initializers.map(\.name) + graph.nodes.flatMap(\.outputs)
        if let clash = written.first(where: { !tensors.insert($0).inserted }) { throw InteropError.nameClash(name: clash) }
        if let clash = graph.nodes.map(\.name).first(where: { !nodeNames.insert($0).inserted }) {
            throw InteropError.nameClash(name: clash)
        }
    }
}
