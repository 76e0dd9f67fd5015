import ShearsNet

/// Channels that must be removed together, and every node that touches them: derived from
/// a network's graph by `DependencyGraph`, never written per model.
///
/// Removing channel `c` of the group deletes row `c` of each producer (a conv's filter, a
/// linear layer's neuron), channel `c` of each normaliser, and the matching input channel (or
/// block of flattened columns) of each consumer. A resnet-s stage is one group: its stem or
/// projection shortcut and every block's `conv2` produce it, the adds tie them together.
public struct ChannelGroup: Sendable, Equatable {
    /// Where the group's channels sit along dimension 1 of a node's input or output: channel
    /// `c` is positions `offset + c·span ..< offset + (c + 1)·span` (`span` > 1 after flatten).
    public struct Placement: Sendable, Equatable, Hashable {
        /// Index of the node in the network's `nodes` (the same as in its `GraphSpecification`).
        public let node: Int
        /// Position along dimension 1 where the group's channel 0 starts.
        public let offset: Int
        /// Positions per channel along dimension 1: 1, or the plane size `H·W` after a flatten.
        public let span: Int
    }

    /// Channels in the group: the output channels of each producer, and the channel indices `0..<width` that pruning
    /// chooses among.
    public let width: Int
    /// Convs and linear layers whose output channels are exactly this group.
    public let producers: [Int]
    /// BatchNorm nodes normalising the group's channels, with where they sit in their input.
    public let normalizers: [Placement]
    /// Convs and linear layers reading the group, with where it sits in their input.
    public let consumers: [Placement]
    /// ReLU nodes whose output carries the group's channels, with where they sit in it: after
    /// the producers (through BatchNorm, pooling, flatten, concat), and after each `add` that
    /// ties the group together. Empty when the channels reach their consumers un-rectified.
    public let rectifiers: [Placement]
    /// False when the channels are the network's input or its output (logits), or meet an
    /// `add` whose inputs are not aligned group by group.
    public let isPrunable: Bool
    /// What the producers are: convolutions (the channels are filters) or linear layers
    /// (hidden neurons). An `add` cannot tie the two, their outputs differ in rank.
    public let producerKind: ProducerKind
    /// Whether some consumer is a convolution, so the channels are also conv *input* channels
    /// (`channel` granularity, scored from the consumers' side).
    public let isReadByConvolution: Bool

    /// The layer kind producing a group's channels.
    public enum ProducerKind: Sendable, Equatable {
        /// Conv filters (`filter` and `channel` granularity).
        case convolution
        /// Hidden neurons of linear layers (`neuron` granularity).
        case linear
    }

    /// Whether the group is pruned at `granularity`: `filter` takes conv-produced groups,
    /// `channel` those of them a conv reads, `neuron` linear-produced ones; no other
    /// granularity removes whole channels. On a VGG, `filter` is every conv, `channel` every conv
    /// input after the first conv, and `neuron` every hidden linear layer.
    public func belongs(to granularity: Granularity) -> Bool {
        switch granularity {
        case .filter: return producerKind == .convolution
        case .channel: return producerKind == .convolution && isReadByConvolution
        case .neuron: return producerKind == .linear
        case .element, .kernel, .shape, .layer: return false
        }
    }
}
