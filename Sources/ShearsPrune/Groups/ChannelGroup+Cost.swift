import ShearsNet

/// What one channel of a group costs, so that pruning can price it: the share of every node
/// that touches the channel, read off the graph's operations (`GraphSpecification+Accounting`).
extension ChannelGroup {
    /// Forward MACs per image that removing one channel saves: one output channel of every
    /// producer and the channel's input slice (`span` columns) of every consumer.
    public func macsPerChannel(in specification: GraphSpecification) throws -> Int {
        let macs = try specification.macsPerNode()
        return producers.reduce(0) { $0 + macs[$1] / Self.outputWidth(specification.nodes[$1].operation) }
            + consumers.reduce(0) { $0 + macs[$1.node] / Self.inputWidth(specification.nodes[$1.node].operation) * $1.span }
    }

    /// Trainable values that removing one channel saves: every producer's filter (or neuron)
    /// and bias, every normaliser's γ and β, and the channel's input slice of every consumer's weight.
    public func parametersPerChannel(in specification: GraphSpecification) -> Int {
        producers.reduce(0) { total, node in
            let operation = specification.nodes[node].operation
            return total + specification.parameterCount(of: node) / Self.outputWidth(operation)
        } + 2 * normalizers.count + consumers.reduce(0) { total, consumer in
            let operation = specification.nodes[consumer.node].operation
            let weights = specification.parameterCount(of: consumer.node) - Self.outputWidth(operation) * Self.biases(operation)
            return total + weights / Self.inputWidth(operation) * consumer.span
        }
    }

    /// A conv's or linear layer's input channels (features), 1 for any other node.
    static func inputWidth(_ operation: GraphOperation) -> Int {
        switch operation {
        case let .convolution(inChannels, _, _, _, _, _): return inChannels
        case let .linear(inFeatures, _): return inFeatures
        default: return 1
        }
    }

    /// A conv's or linear layer's output channels (features), 1 for any other node.
    static func outputWidth(_ operation: GraphOperation) -> Int {
        switch operation {
        case let .convolution(_, outChannels, _, _, _, _): return outChannels
        case let .linear(_, outFeatures): return outFeatures
        default: return 1
        }
    }

    /// Biases per output channel of a conv or linear layer: 1 when it has them, else 0.
    static func biases(_ operation: GraphOperation) -> Int {
        switch operation {
        case let .convolution(_, _, _, _, _, bias): return bias ? 1 : 0
        case .linear: return 1
        default: return 0
        }
    }
}
