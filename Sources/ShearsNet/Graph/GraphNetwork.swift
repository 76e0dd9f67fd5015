/// A network of named nodes run in topological order: any model a user can write down with
/// `GraphBuilder` (residual sums, concatenations, BatchNorm), VGG and resnet-s included,
/// trained, evaluated, pruned and saved by every command.
///
/// Forward keeps each node's output until its last reader has run. Backward visits nodes in
/// reverse, and a node read by several others receives the *sum* of their gradients (the
/// multivariate chain rule), which is what makes a residual connection's gradient exact.
public final class GraphNetwork: Layer {
    /// A node's layer (nil for `add` and `concat`) and the indices of the nodes it reads
    /// (`-1` is the network's input).
    public struct Node {
        /// The node's name, its tensors' prefix in checkpoints (`layer1.0.conv1`).
        public let name: String
        /// The operation at the layer's current widths (updated by `updateWidths()` after surgery).
        public internal(set) var operation: GraphOperation
        /// The layer that computes the node, or nil for `add` and `concat`, which have no parameters.
        public let layer: Layer?
        /// Indices into `nodes` of the nodes read, in order; `-1` is the network's input.
        public let inputs: [Int]
    }

    /// The graph as data, at the current widths; what checkpoints store.
    public internal(set) var specification: GraphSpecification
    /// The nodes in topological order; the last one outputs the logits.
    public internal(set) var nodes: [Node]
    /// Every node's output shape for one image, in node order.
    public internal(set) var nodeShapes: [[Int]]
    /// Whether forward keeps every node's output and backward every node's output gradient
    /// (for criteria that read activations and their gradients).
    public var isRecording = false {
        didSet { if !isRecording { (recordedOutputs, recordedGradients) = ([], []) } }
    }
    /// Each node's output from the last forward pass while recording, in node order.
    public private(set) var recordedOutputs: [Tensor] = []
    /// ∂loss/∂(each node's output) from the last backward pass while recording (an empty
    /// tensor for nodes the loss does not depend on).
    public private(set) var recordedGradients: [Tensor] = []
    /// Called with each node's index, the pass, and the node's computation to run, when set: a
    /// profiler times `work` (it must run it exactly once). Nil costs one check per node.
    public var nodeObserver: ((_ node: Int, _ backward: Bool, _ work: () -> Void) -> Void)?
    /// Whether `forward` computes each ReLU in `reluFusions` inside the layer before it (same
    /// values, one pass over memory fewer; off while recording or profiling). A switch for
    /// measuring the difference (`shears bench train --no-relu-fusion`).
    public var fusesReLUs = true
    /// Whether `predict` computes each conv → ReLU → 2x2 max-pool chain in `poolingFusions` inside
    /// the conv, when it fuses ReLUs at all (`shears bench train --no-pool-fusion` measures the
    /// difference).
    public var fusesPooling = true
    /// Whether `predict` runs each of `depthFirstSegments` a few images at a time
    /// (`depthFirstImages`), when it fuses pooling
    /// (`shears bench train --no-depth-first` measures the difference).
    public var runsImagesDepthFirst = true
    /// Whether the last pass was a `forward`, whose caches `backward` reads (not a `predict`).
    var lastPassWasForward = false
    /// For each node, the index of the last node that reads it.
    var lastReader: [Int]
    private var inputShape: [Int] = []

    /// Builds `specification` with PyTorch's default initialisation drawn from `seed`.
    /// Throws `GraphError` when the specification has a `problem`.
    public init(_ specification: GraphSpecification, seed: UInt64) throws {
        if let problem = specification.problem { throw GraphError.invalid(problem) }
        var rng = SeededGenerator(seed: seed)
        var index = [GraphSpecification.inputName: -1]
        var built: [Node] = []
        for node in specification.nodes {
            let inputs = node.inputs.map { index[$0]! }
            let layer = Self.layer(for: node.operation, rng: &rng)
            // Nothing consumes the image's gradient.
            if inputs == [-1], let conv = layer as? Conv2D { conv.computesInputGradient = false }
            index[node.name] = built.count
            built.append(Node(name: node.name, operation: node.operation, layer: layer, inputs: inputs))
        }
        (self.specification, nodes, lastReader) = (specification, built, Self.lastReaders(of: built))
        nodeShapes = try specification.shapes()
    }

    /// For each of `nodes`, the index of the last node that reads it (itself when none does).
    static func lastReaders(of nodes: [Node]) -> [Int] {
        var lastReader = Array(nodes.indices)
        for (reader, node) in nodes.enumerated() { for input in node.inputs where input >= 0 { lastReader[input] = reader } }
        return lastReader
    }

    static func layer(for operation: GraphOperation, rng: inout SeededGenerator) -> Layer? {
        switch operation {
        case let .convolution(inChannels, outChannels, kernelSize, stride, padding, bias):
            return Conv2D(inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride,
                          padding: padding, bias: bias, rng: &rng)
        case let .batchNorm(channels): return BatchNorm2D(channels: channels)
        case .relu: return ReLU()
        case let .maxPool(size): return MaxPool2D(size: size)
        case .globalAveragePool: return GlobalAveragePool()
        case .flatten: return Flatten()
        case let .linear(inFeatures, outFeatures): return Linear(inFeatures: inFeatures, outFeatures: outFeatures, rng: &rng)
        case .add, .concat: return nil
        }
    }

    public var parameters: [Parameter] { nodes.flatMap { $0.layer?.parameters ?? [] } }

    /// `(name, parameter)` in node order, named `<node>.<weight|bias>` as PyTorch would.
    public var namedParameters: [(String, Parameter)] {
        nodes.flatMap { node in (node.layer?.parameters ?? []).map { ("\(node.name).\($0.name)", $0) } }
    }

    public func outputShape(for inputShape: [Int]) -> [Int] { [inputShape[0], nodeShapes[nodeShapes.count - 1][1]] }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(Array(input.shape.dropFirst()) == specification.inputShape,
                     "GraphNetwork.forward: expected [N] + \(specification.inputShape), got \(input.shape)")
        inputShape = input.shape
        lastPassWasForward = true
        return run(input, training: training, reluFusions: fusesReLUsNow ? reluFusions : [:], poolingFusions: [:])
    }

    /// Every node in order on `input`, each fused ReLU inside the node before it, each fused
    /// chain in `poolingFusions` (conv → pool) inside its conv, and each of `segments` image by
    /// image; the last node's output.
    func run(_ input: Tensor, training: Bool, reluFusions fusions: [Int: Int], poolingFusions: [Int: (relu: Int, pool: Int)],
             depthFirst segments: [DepthFirstSegment] = []) -> Tensor {
        var outputs = [Tensor?](repeating: nil, count: nodes.count)
        var computedByFusion = Set<Int>()
        let segmentStarts = Dictionary(uniqueKeysWithValues: segments.map { ($0.steps[0].node, $0) })
        for (position, node) in nodes.enumerated() {
            if !computedByFusion.contains(position) {
                let inputs = node.inputs.map { $0 < 0 ? input : outputs[$0]! }
                if let segment = segmentStarts[position] {
                    for (index, output) in runDepthFirst(segment, input: input, outputs: outputs) { outputs[index] = output }
                    computedByFusion.formUnion(segment.steps.flatMap(\.covered))
                } else if let chain = poolingFusions[position], let conv = node.layer as? Conv2D {
                    outputs[chain.pool] = conv.predictThenReLUAndMaxPool(inputs[0])
                    computedByFusion.formUnion([chain.relu, chain.pool])
                } else if let relu = fusions[position] {
                    let output = Self.runThenReLU(node, inputs, training: training)
                    (nodes[relu].layer as! ReLU).adopt(fusedOutput: output)
                    (outputs[position], outputs[relu]) = (output, output)
                    computedByFusion.insert(relu)
                } else if let observe = nodeObserver {
                    observe(position, false) { outputs[position] = Self.run(node, inputs, training: training) }
                } else {
                    outputs[position] = Self.run(node, inputs, training: training)
                }
            }
            for reader in node.inputs where !isRecording && reader >= 0 && lastReader[reader] == position { outputs[reader] = nil }
        }
        if isRecording { recordedOutputs = outputs.map { $0! } }
        return outputs[nodes.count - 1]!
    }

    /// Every node's output for `input` in evaluation mode, in node order (what surgery reads
    /// to find the constants a removed unit leaves behind).
    public func outputs(for input: Tensor) -> [Tensor] {
        var outputs: [Tensor] = []
        for node in nodes {
            outputs.append(Self.run(node, node.inputs.map { $0 < 0 ? input : outputs[$0] }, training: false))
        }
        return outputs
    }

    /// Re-reads every layer's widths into `specification` and `nodeShapes` after structural
    /// surgery has resized layers in place.
    public func updateWidths() throws {
        for (index, node) in nodes.enumerated() {
            nodes[index].operation = switch (node.operation, node.layer) {
            case let (.convolution(_, _, kernelSize, stride, padding, bias), conv as Conv2D):
                .convolution(inChannels: conv.inChannels, outChannels: conv.outChannels, kernelSize: kernelSize,
                             stride: stride, padding: padding, bias: bias)
            case let (.batchNorm, norm as BatchNorm2D): .batchNorm(channels: norm.channels)
            case let (.linear, linear as Linear): .linear(inFeatures: linear.inFeatures, outFeatures: linear.outFeatures)
            default: node.operation
            }
            specification.nodes[index].operation = nodes[index].operation
        }
        if let problem = specification.problem { throw GraphError.invalid("after surgery: \(problem)") }
        nodeShapes = try specification.shapes()
    }

    /// Node `node`'s output from its inputs' outputs, as `forward` computes it node by node
    /// (public so that a profiler can time each node).
    public static func run(_ node: Node, _ inputs: [Tensor], training: Bool) -> Tensor {
        switch node.operation {
        case .add: return GraphKernels.sum(inputs)
        case .concat: return GraphKernels.concatenateChannels(inputs)
        default: return node.layer!.forward(inputs[0], training: training)
        }
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        precondition(lastPassWasForward, "GraphNetwork.backward: the last pass was predict, which keeps nothing for backward")
        var gradients = [Tensor?](repeating: nil, count: nodes.count)
        gradients[nodes.count - 1] = outputGradient
        var inputGradient: Tensor?
        if isRecording { recordedGradients = Array(repeating: Tensor(shape: [0]), count: nodes.count) }
        let fusions = fusesReLUsNow ? reluBackwardFusions : [:]
        for position in nodes.indices.reversed() {
            guard let gradient = gradients[position] else { continue }
            gradients[position] = nil
            if isRecording { recordedGradients[position] = gradient }
            var inputGradients: [Tensor] = []
            if let observe = nodeObserver {
                observe(position, true) { inputGradients = nodeBackward(position, gradient) }
            } else if fusions[position] != nil {
                inputGradients = nodeBackwardMaskingInput(position, gradient)
            } else {
                inputGradients = nodeBackward(position, gradient)
            }
            // A fused ReLU's input receives the gradient; the ReLU's own pass never runs.
            let node = nodes[position], inputs = fusions[position].map { nodes[$0].inputs } ?? node.inputs
            for (input, g) in zip(inputs, inputGradients) {
                if input < 0 { GraphKernels.accumulate(g, into: &inputGradient) } else { GraphKernels.accumulate(g, into: &gradients[input]) }
            }
        }
        return inputGradient ?? Tensor(shape: inputShape)
    }

    /// The gradients of node `position`'s inputs from its output's `gradient`.
    private func nodeBackward(_ position: Int, _ gradient: Tensor) -> [Tensor] {
        let node = nodes[position]
        switch node.operation {
        case .add: return Array(repeating: gradient, count: node.inputs.count)
        case .concat: return GraphKernels.splitChannels(gradient, counts: node.inputs.map { channels(of: $0) })
        default: return [node.layer!.backward(gradient)]
        }
    }

    /// The gradient of the input of the ReLU before conv `position`, for a conv in
    /// `reluBackwardFusions`: the conv's `∂X` masked by its input, the ReLU's output.
    private func nodeBackwardMaskingInput(_ position: Int, _ gradient: Tensor) -> [Tensor] {
        let conv = nodes[position].layer as! Conv2D
        conv.masksInputGradientByInput = true
        defer { conv.masksInputGradientByInput = false }
        return [conv.backward(gradient)]
    }

    /// Channels (dimension 1) of node `index`'s output, or of the input for -1.
    private func channels(of index: Int) -> Int {
        index < 0 ? specification.inputShape[0] : nodeShapes[index][1]
    }
}
