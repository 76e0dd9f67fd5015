/// Parameters and multiply-accumulates of a graph, read off each node's operation and
/// output shape, so no model repeats the formulas.
///
/// MACs per image (`shared/reference/vgg-s.md`'s convention: convs and linear layers only;
/// FLOPs = 2 x MACs): a conv costs `C_in · k² · C_out · H_out · W_out`, a linear layer
/// `in · out`. Parameters count weights, trained biases and BatchNorm's γ and β (running
/// statistics are state, not parameters).
extension GraphSpecification {
    /// Trainable values; safe on any node values (each term is bounded by `boundsProblem`).
    public var parameterCount: Int { nodes.indices.reduce(0) { $0 + parameterCount(of: $1) } }

    /// Trainable values of node `index`: a conv's or linear layer's weight and bias, a BatchNorm's γ and β.
    public func parameterCount(of index: Int) -> Int {
        switch nodes[index].operation {
        case let .convolution(inChannels, outChannels, kernelSize, _, _, bias):
            return outChannels * inChannels * kernelSize * kernelSize + (bias ? outChannels : 0)
        case let .batchNorm(channels): return 2 * channels
        case let .linear(inFeatures, outFeatures): return inFeatures * outFeatures + outFeatures
        case .relu, .maxPool, .globalAveragePool, .flatten, .add, .concat: return 0
        }
    }

    /// Forward MACs per image of each node, in node order (0 for nodes that multiply nothing).
    /// Needs a graph without `problem`.
    public func macsPerNode() throws -> [Int] {
        try zip(nodes, shapes()).map { node, shape in
            switch node.operation {
            case let .convolution(inChannels, _, kernelSize, _, _, _):
                return inChannels * kernelSize * kernelSize * shape.reduce(1, *)
            case let .linear(inFeatures, outFeatures): return inFeatures * outFeatures
            case .batchNorm, .relu, .maxPool, .globalAveragePool, .flatten, .add, .concat: return 0
            }
        }
    }

    /// Forward MACs per image of the whole graph.
    public func macs() throws -> Int { try macsPerNode().reduce(0, +) }
}
