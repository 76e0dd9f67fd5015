/// What a graph node computes. The associated values are all a checkpoint needs to rebuild
/// the layer; widths are the actual (possibly pruned) ones.
public enum GraphOperation: Codable, Equatable, Sendable {
    /// `Conv2D`, square kernel; `bias: false` for convs followed by BatchNorm (ResNet).
    case convolution(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int, padding: Int, bias: Bool)
    /// `BatchNorm2D` over `channels` channels.
    case batchNorm(channels: Int)
    /// `ReLU`, elementwise.
    case relu
    /// Square max pooling with stride equal to the window.
    case maxPool(size: Int)
    /// `GlobalAveragePool`: `[N, C, H, W] → [N, C, 1, 1]`.
    case globalAveragePool
    /// `Flatten`: `[N, C, H, W] → [N, C·H·W]`, channel-major.
    case flatten
    /// `Linear`, weight `outFeatures x inFeatures`.
    case linear(inFeatures: Int, outFeatures: Int)
    /// Elementwise sum of two or more inputs of one shape (a residual connection).
    case add
    /// Inputs stacked along the channel axis (dimension 1), in input order.
    case concat

    /// Why a hyperparameter is out of bounds, or nil; checked before any arithmetic on them.
    var boundsProblem: String? {
        let side = 1...GraphSpecification.maximumSide, window = 1...64
        switch self {
        case let .convolution(inChannels, outChannels, kernelSize, stride, padding, _):
            guard side.contains(inChannels), side.contains(outChannels), window.contains(kernelSize),
                  window.contains(stride), (0...64).contains(padding) else {
                return "channels must be in \(side), kernel and stride in \(window), padding in 0...64"
            }
        case let .batchNorm(channels):
            guard side.contains(channels) else { return "channels must be in \(side)" }
        case let .maxPool(size):
            guard window.contains(size) else { return "the pool size must be in \(window)" }
        case let .linear(inFeatures, outFeatures):
            guard (1...GraphSpecification.maximumActivation).contains(inFeatures), side.contains(outFeatures) else {
                return "inFeatures must be in 1...\(GraphSpecification.maximumActivation), outFeatures in \(side)"
            }
        case .relu, .globalAveragePool, .flatten, .add, .concat:
            break
        }
        return nil
    }

    /// The operation with its channel and feature counts set to 0: what pruning leaves unchanged.
    public var withoutWidths: GraphOperation {
        switch self {
        case let .convolution(_, _, kernelSize, stride, padding, bias):
            return .convolution(inChannels: 0, outChannels: 0, kernelSize: kernelSize, stride: stride, padding: padding, bias: bias)
        case .batchNorm: return .batchNorm(channels: 0)
        case .linear: return .linear(inFeatures: 0, outFeatures: 0)
        case .relu, .maxPool, .globalAveragePool, .flatten, .add, .concat: return self
        }
    }

    /// How many inputs the operation takes: `nil` means two or more.
    var arity: Int? {
        switch self {
        case .add, .concat: return nil
        default: return 1
        }
    }
}

/// One named node: an operation and the names of the nodes it reads (`input` is the image).
public struct GraphNode: Codable, Equatable, Sendable {
    /// The PyTorch module path (`layer1.0.conv1`); tensors are named `<name>.weight` etc.
    public var name: String
    /// What the node computes, with its layer's widths.
    public var operation: GraphOperation
    /// Names of the nodes read (earlier nodes or `GraphSpecification.inputName`), in order.
    public var inputs: [String]

    /// A node; nothing is checked until the specification's `shapes()` or `problem`.
    public init(name: String, operation: GraphOperation, inputs: [String]) {
        (self.name, self.operation, self.inputs) = (name, operation, inputs)
    }
}

/// A network as data: the input's `[C, H, W]` and nodes in topological order, the last being
/// the output (logits `[N, classes]`). Checkpoints store it as JSON, so any graph a user
/// builds reloads at its actual widths.
public struct GraphSpecification: Codable, Equatable, Sendable {
    /// The name by which nodes read the network's input.
    public static let inputName = "input"

    /// The largest channel count, feature count or input side accepted.
    public static let maximumSide = 1 << 16
    /// The most values one node may output per image (1 GiB of floats).
    public static let maximumActivation = 1 << 28

    /// One image's `[C, H, W]`, without the batch dimension.
    public var inputShape: [Int]
    /// The nodes, each after every node it reads; the last one outputs the logits.
    public var nodes: [GraphNode]

    /// A specification from its parts; `problem` and `shapes()` check it.
    public init(inputShape: [Int], nodes: [GraphNode]) {
        (self.inputShape, self.nodes) = (inputShape, nodes)
    }

    /// Whether `other` has this graph's input shape, node names, inputs and operations, widths
    /// aside: whether it is this model, pruned or not (a structurally pruned model keeps its nodes).
    public func hasLayout(of other: GraphSpecification) -> Bool {
        inputShape == other.inputShape && nodes.count == other.nodes.count && zip(nodes, other.nodes).allSatisfy {
            $0.name == $1.name && $0.inputs == $1.inputs && $0.operation.withoutWidths == $1.operation.withoutWidths
        }
    }

    /// Number of classes: the output node's width.
    public var classes: Int { (try? shapes().last?.last) ?? 0 }

    /// The shape of every node's output for one image (`[1, C, H, W]` or `[1, F]`), in node
    /// order; throws `GraphError` naming the first node whose inputs do not fit it.
    /// Safe on any values: every number is bounded before it is used in arithmetic.
    public func shapes() throws -> [[Int]] {
        guard inputShape.count == 3, inputShape.allSatisfy({ (1...Self.maximumSide).contains($0) }) else {
            throw GraphError.invalid("the input shape \(inputShape) must be [C, H, W] with each in 1...\(Self.maximumSide)")
        }
        var known = [Self.inputName: [1] + inputShape]
        var result: [[Int]] = []
        for node in nodes {
            let inputShapes = try node.inputs.map { input in
                guard let shape = known[input] else {
                    throw GraphError.invalid("node '\(node.name)' reads '\(input)', which is not an earlier node")
                }
                return shape
            }
            let shape = try node.outputShape(for: inputShapes)
            guard shape.allSatisfy({ $0 >= 1 }), shape.reduce(1, *) <= Self.maximumActivation else {
                throw GraphError.invalid("node '\(node.name)' outputs \(shape) per image; at most \(Self.maximumActivation) values")
            }
            known[node.name] = shape
            result.append(shape)
        }
        return result
    }
}

/// A graph that cannot be built, with the reason on one line.
public enum GraphError: Error, CustomStringConvertible, Equatable {
    /// The graph cannot be built; the text names the first offending node and what is wrong.
    case invalid(String)

    public var description: String {
        switch self {
        case let .invalid(reason): return reason
        }
    }
}

extension GraphNode {
    /// This node's output shape for its inputs' shapes, or `GraphError` saying what misfits.
    func outputShape(for inputs: [[Int]]) throws -> [Int] {
        func fail(_ reason: String) -> GraphError { .invalid("node '\(name)': \(reason)") }
        if let problem = operation.boundsProblem { throw fail(problem) }
        if let arity = operation.arity, inputs.count != arity { throw fail("takes \(arity) input, has \(inputs.count)") }
        if operation.arity == nil, inputs.count < 2 { throw fail("takes two or more inputs, has \(inputs.count)") }
        let first = inputs[0]
        switch operation {
        case let .convolution(inChannels, outChannels, kernelSize, stride, padding, _):
            guard first.count == 4, first[1] == inChannels else { throw fail("expects [N, \(inChannels), H, W], gets \(first)") }
            let (height, width) = ((first[2] + 2 * padding - kernelSize) / stride + 1, (first[3] + 2 * padding - kernelSize) / stride + 1)
            guard first[2] + 2 * padding >= kernelSize, first[3] + 2 * padding >= kernelSize else {
                throw fail("a \(kernelSize)x\(kernelSize) kernel does not fit a \(first[2])x\(first[3]) input")
            }
            return [1, outChannels, height, width]
        case let .batchNorm(channels):
            guard first.count == 4, first[1] == channels else { throw fail("expects [N, \(channels), H, W], gets \(first)") }
            return first
        case .relu:
            return first
        case let .maxPool(size):
            guard first.count == 4, first[2] >= size, first[3] >= size else { throw fail("cannot pool \(first) by \(size)") }
            return [1, first[1], first[2] / size, first[3] / size]
        case .globalAveragePool:
            guard first.count == 4 else { throw fail("expects [N, C, H, W], gets \(first)") }
            return [1, first[1], 1, 1]
        case .flatten:
            return [1, first.dropFirst().reduce(1, *)]
        case let .linear(inFeatures, outFeatures):
            guard first == [1, inFeatures] else { throw fail("expects [N, \(inFeatures)], gets \(first)") }
            return [1, outFeatures]
        case .add:
            guard inputs.allSatisfy({ $0 == first }) else { throw fail("adds inputs of different shapes \(inputs)") }
            return first
        case .concat:
            guard first.count >= 2, inputs.allSatisfy({ $0.count == first.count && Array($0.dropFirst(2)) == Array(first.dropFirst(2)) }) else {
                throw fail("concatenates inputs that differ beyond the channel axis: \(inputs)")
            }
            return [1, inputs.reduce(0) { $0 + $1[1] }] + first.dropFirst(2)
        }
    }
}
