/// Writes a `GraphSpecification` node by node, inferring each layer's input width from the
/// node it reads, so that a user's own network is a few lines of Swift:
///
/// ```swift
/// var b = GraphBuilder(inputShape: [1, 28, 28])
/// let stem = b.relu("relu", b.conv("conv", b.input, outChannels: 8, kernelSize: 3, padding: 1))
/// let left = b.conv("left", stem, outChannels: 4, kernelSize: 1)
/// let right = b.conv("right", stem, outChannels: 4, kernelSize: 3, padding: 1)
/// let joined = b.concat("cat", [left, right])
/// b.linear("fc", b.flatten("flatten", b.globalAveragePool("pool", joined)), outFeatures: 10)
/// let network = try b.build(seed: 0)
/// ```
///
/// Mistakes (an unknown input, a shape that does not fit) are remembered and thrown by
/// `build`, naming the first offending node.
public struct GraphBuilder {
    /// The nodes written so far, including any that `build` will refuse.
    public private(set) var specification: GraphSpecification
    private var shapes: [String: [Int]]
    private var firstError: GraphError?

    /// The name by which nodes read the network's input.
    public let input = GraphSpecification.inputName

    /// `inputShape` is one image's `[C, H, W]`.
    public init(inputShape: [Int]) {
        specification = GraphSpecification(inputShape: inputShape, nodes: [])
        shapes = [GraphSpecification.inputName: [1] + inputShape]
    }

    /// Appends a node and returns its name, for the nodes that read it.
    @discardableResult
    public mutating func node(_ name: String, _ operation: GraphOperation, inputs: [String]) -> String {
        let node = GraphNode(name: name, operation: operation, inputs: inputs)
        specification.nodes.append(node)
        do {
            let inputShapes = try inputs.map { input in
                guard let shape = shapes[input] else { throw GraphError.invalid("node '\(name)' reads unknown node '\(input)'") }
                return shape
            }
            shapes[name] = try node.outputShape(for: inputShapes)
        } catch let error as GraphError {
            firstError = firstError ?? error
        } catch {
            preconditionFailure("GraphBuilder: \(error)")
        }
        return name
    }

    /// Channels of `name`'s output (0 if it is unknown; `build` then reports it).
    private func channels(_ name: String) -> Int { shapes[name].map { $0[1] } ?? 0 }

    /// Appends node `name`: a `Conv2D` reading `from`, with a square kernel and as many input channels as
    /// `from` outputs.
    @discardableResult
    public mutating func conv(_ name: String, _ from: String, outChannels: Int, kernelSize: Int, stride: Int = 1,
                              padding: Int = 0, bias: Bool = true) -> String {
        node(name, .convolution(inChannels: channels(from), outChannels: outChannels, kernelSize: kernelSize,
                                stride: stride, padding: padding, bias: bias), inputs: [from])
    }

    /// Appends node `name`: a `BatchNorm2D` over `from`'s channels.
    @discardableResult
    public mutating func batchNorm(_ name: String, _ from: String) -> String {
        node(name, .batchNorm(channels: channels(from)), inputs: [from])
    }

    /// Appends node `name`: a `ReLU` of `from`.
    @discardableResult
    public mutating func relu(_ name: String, _ from: String) -> String { node(name, .relu, inputs: [from]) }

    /// Appends node `name`: a `MaxPool2D` of `from`, window and stride `size`.
    @discardableResult
    public mutating func maxPool(_ name: String, _ from: String, size: Int = 2) -> String {
        node(name, .maxPool(size: size), inputs: [from])
    }

    /// Appends node `name`: a `GlobalAveragePool` of `from`: `[N, C, H, W] → [N, C, 1, 1]`.
    @discardableResult
    public mutating func globalAveragePool(_ name: String, _ from: String) -> String {
        node(name, .globalAveragePool, inputs: [from])
    }

    /// Appends node `name`: a `Flatten` of `from`, channel-major as PyTorch.
    @discardableResult
    public mutating func flatten(_ name: String, _ from: String) -> String { node(name, .flatten, inputs: [from]) }

    /// Appends node `name`: a `Linear` reading `from`, with as many input features as `from` outputs per image.
    @discardableResult
    public mutating func linear(_ name: String, _ from: String, outFeatures: Int) -> String {
        node(name, .linear(inFeatures: shapes[from]?.dropFirst().reduce(1, *) ?? 0, outFeatures: outFeatures), inputs: [from])
    }

    /// Appends node `name`: the elementwise sum of `inputs` (two or more, one shape): a residual connection.
    @discardableResult
    public mutating func add(_ name: String, _ inputs: [String]) -> String { node(name, .add, inputs: inputs) }

    /// Appends node `name`: `inputs` (two or more, equal but for channels) stacked along the channels, in order.
    @discardableResult
    public mutating func concat(_ name: String, _ inputs: [String]) -> String { node(name, .concat, inputs: inputs) }

    /// The network, initialised from `seed`; throws the first mistake or the graph's `problem`.
    public func build(seed: UInt64) throws -> GraphNetwork {
        if let firstError { throw firstError }
        return try GraphNetwork(specification, seed: seed)
    }
}
