/// Builds an `ONNXGraph` one layer at a time: each method emits the nodes and constant
/// initializers of one Shears layer called `name` (its checkpoint name, `features.0`),
/// reading tensor `input` and writing tensor `output`, and returns `output`. A walker over
/// a network (`VGG.onnxModel`, `GraphNetwork.onnxModel`) chains them.
///
/// Constants are named `<name>.<what>` as in the checkpoint (`features.0.weight`), so they
/// are unique as long as the layer names are.
public struct ONNXGraphBuilder {
    /// The graph built so far.
    public private(set) var graph: ONNXGraph

    /// An empty graph called `name`.
    public init(name: String) { graph = ONNXGraph(name: name) }

    /// Declares the float32 graph input `name` of `shape` (e.g. `[batch, 1, 28, 28]`).
    public mutating func addInput(_ name: String, shape: [ONNXDimension]) {
        graph.inputs.append(ONNXValueInfo(name: name, shape: shape))
    }

    /// Declares the float32 graph output `name` of `shape` (e.g. `[batch, 10]`).
    public mutating func addOutput(_ name: String, shape: [ONNXDimension]) {
        graph.outputs.append(ONNXValueInfo(name: name, shape: shape))
    }

    /// Adds `tensor` as an initializer called `name` and returns the name.
    public mutating func constant(_ name: String, _ tensor: Tensor) -> String {
        graph.initializers.append(ONNXTensor(name: name, tensor))
        return name
    }

    mutating func node(_ opType: String, _ name: String, _ inputs: [String], _ output: String,
                       _ attributes: [ONNXAttribute] = []) -> String {
        graph.nodes.append(ONNXNode(opType, name: name, inputs: inputs, outputs: [output], attributes: attributes))
        return output
    }

    /// `Conv` with the dense weight (masks applied, shape-pruned rows back at their places) and
    /// bias, or no bias input for a conv without one (ResNet's, `hasBias` false); a folded
    /// `output_offset` follows as an `Add` of a constant `F x Ho x Wo`, which broadcasts over
    /// the batch.
    public mutating func conv2D(_ conv: Conv2D, name: String, input: String, output: String) -> String {
        var inputs = [input, constant("\(name).weight", conv.denseWeight)]
        if conv.hasBias { inputs.append(constant("\(name).bias", conv.bias.value)) }
        let p = conv.padding
        let attributes: [ONNXAttribute] = [
            .ints("kernel_shape", [conv.kernelHeight, conv.kernelWidth]), .ints("strides", [conv.stride, conv.stride]),
            .ints("pads", [p, p, p, p]), .ints("dilations", [1, 1]), .int("group", 1),
        ]
        guard let offset = conv.outputOffset else {
            return node("Conv", name, inputs, output, attributes)
        }
        let convolved = node("Conv", name, inputs, "\(name).conv", attributes)
        return node("Add", "\(name).add_offset", [convolved, constant("\(name).output_offset", offset)], output)
    }

    /// `BatchNormalization` in inference mode with the running statistics.
    public mutating func batchNorm(_ norm: BatchNorm2D, name: String, input: String, output: String) -> String {
        let inputs = [input, constant("\(name).weight", norm.weight.value), constant("\(name).bias", norm.bias.value),
                      constant("\(name).running_mean", Tensor(shape: [norm.channels], values: norm.runningMean)),
                      constant("\(name).running_var", Tensor(shape: [norm.channels], values: norm.runningVariance))]
        return node("BatchNormalization", name, inputs, output, [.float("epsilon", norm.epsilon)])
    }

    /// `Relu` of `input`.
    public mutating func relu(name: String, input: String, output: String) -> String {
        node("Relu", name, [input], output)
    }

    /// `MaxPool` in floor mode (`ceil_mode` 0, ONNX's default), no padding.
    public mutating func maxPool(_ pool: MaxPool2D, name: String, input: String, output: String) -> String {
        node("MaxPool", name, [input], output,
             [.ints("kernel_shape", [pool.size, pool.size]), .ints("strides", [pool.stride, pool.stride])])
    }

    /// `GlobalAveragePool`: `[N, C, H, W]` → `[N, C, 1, 1]`, each plane's mean.
    public mutating func globalAveragePool(name: String, input: String, output: String) -> String {
        node("GlobalAveragePool", name, [input], output)
    }

    /// The elementwise sum of `inputs` (two or more, one shape): `Add` for two, else a chain
    /// of `Add`s in input order, `((a + b) + c) + …`, the order Shears sums them in; the
    /// intermediate sums are `<name>.sum<k>` and the last node is `name`.
    public mutating func add(name: String, inputs: [String], output: String) -> String {
        precondition(inputs.count >= 2, "ONNXGraphBuilder.add: '\(name)' sums \(inputs.count) inputs")
        var sum = inputs[0]
        for (k, addend) in inputs.dropFirst().dropLast().enumerated() {
            sum = node("Add", "\(name).sum\(k + 1)", [sum, addend], "\(name).sum\(k + 1)")
        }
        return node("Add", name, [sum, inputs[inputs.count - 1]], output)
    }

    /// `Concat` along the channel axis (1), in input order.
    public mutating func concat(name: String, inputs: [String], output: String) -> String {
        node("Concat", name, inputs, output, [.int("axis", 1)])
    }

    /// `Flatten` at axis 1: `[N, C, H, W]` → `[N, C·H·W]`, channel-major as Shears and PyTorch.
    public mutating func flatten(name: String, input: String, output: String) -> String {
        node("Flatten", name, [input], output, [.int("axis", 1)])
    }

    /// `Gemm` with `transB` = 1: `y = x·Wᵀ + b`, W in PyTorch's `out x in` layout, masks applied.
    public mutating func linear(_ linear: Linear, name: String, input: String, output: String) -> String {
        let weight = constant("\(name).weight", linear.weight.maskedValue)
        let bias = constant("\(name).bias", linear.bias.value)
        return node("Gemm", name, [input, weight, bias], output, [.int("transB", 1)])
    }
}

extension ONNXGraphBuilder {
    /// Emits any layer a graph network is built from; another kind is an error naming it.
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
