import ShearsNet

/// The channel groups of a graph network, found by following each producer's channels
/// forward (after Torch-Pruning's dependency graph, Fang et al. 2023, made typed).
///
/// Every node output is a list of *segments*, each a whole group with its span (values per
/// channel along dimension 1): a conv or linear layer starts a new group; BatchNorm, ReLU,
/// pooling and global pooling pass segments on; flatten multiplies the span by the plane
/// size; `concat` joins its inputs' lists; `add` merges the groups it sums, position by
/// position (union–find). Consumers (convs, linear layers), normalisers and ReLUs record
/// where each group sits in their input.
public struct DependencyGraph: Sendable {
    /// Every group that has a producer (the network's input is none), prunable or not, ordered by first producer.
    public let groups: [ChannelGroup]

    /// The prunable groups, in the order their first producer appears.
    public var prunableGroups: [ChannelGroup] { groups.filter(\.isPrunable) }

    /// The prunable groups removed at `granularity` (filter, channel or neuron;
    /// `ChannelGroup.belongs(to:)`), in order. Throws `granularityNotApplicable` when there are
    /// none: no conv output to prune, no conv reading one, no hidden linear layer, or a
    /// granularity that does not remove whole channels.
    public func prunableGroups(at granularity: Granularity) throws -> [ChannelGroup] {
        let chosen = prunableGroups.filter { $0.belongs(to: granularity) }
        guard chosen.isEmpty else { return chosen }
        let reason: String
        switch granularity {
        case .filter: reason = "no convolution's output channels can be removed"
        case .channel: reason = "no convolution reads another convolution's removable channels"
        case .neuron: reason = "it has no hidden linear layer whose neurons can be removed"
        case .element, .kernel, .shape, .layer: reason = "dependency groups are removed by filter, channel or neuron"
        }
        throw PruningError.granularityNotApplicable(granularity, layer: "the network", reason: reason)
    }

    /// Follows the channels through `specification`'s nodes in one pass; throws `GraphError` when a node's inputs do
    /// not fit it (`GraphSpecification.shapes()`).
    public init(_ specification: GraphSpecification) throws {
        let shapes = try specification.shapes()
        var sets = UnionFind()
        let input = sets.make()
        var unprunable: Set<Int> = [input]
        var segments: [[Segment]] = []
        var producers: [Int: [Int]] = [:], normalizers: [(Int, ChannelGroup.Placement)] = []
        var consumers: [(Int, ChannelGroup.Placement)] = [], rectifiers: [(Int, ChannelGroup.Placement)] = []
        var convolutions: Set<Int> = []
        func read(_ index: Int) -> [Segment] {
            index < 0 ? [Segment(group: input, width: specification.inputShape[0], span: 1)] : segments[index]
        }
        let names = Dictionary(uniqueKeysWithValues: specification.nodes.enumerated().map { ($1.name, $0) })
        for (index, node) in specification.nodes.enumerated() {
            let inputs = node.inputs.map { read($0 == GraphSpecification.inputName ? -1 : names[$0]!) }
            switch node.operation {
            case .convolution, .linear:
                if case .convolution = node.operation { convolutions.insert(index) }
                for placement in Self.placements(of: inputs[0], node: index) { consumers.append(placement) }
                let group = sets.make()
                producers[group] = [index]
                segments.append([Segment(group: group, width: shapes[index][1], span: 1)])
            case .batchNorm:
                for placement in Self.placements(of: inputs[0], node: index) { normalizers.append(placement) }
                segments.append(inputs[0])
            case .relu:
                for placement in Self.placements(of: inputs[0], node: index) { rectifiers.append(placement) }
                segments.append(inputs[0])
            case .maxPool, .globalAveragePool:
                segments.append(inputs[0])
            case .flatten:
                let source = node.inputs[0]
                let shape = source == GraphSpecification.inputName ? [1] + specification.inputShape : shapes[names[source]!]
                let plane = shape.dropFirst(2).reduce(1, *)
                segments.append(inputs[0].map { Segment(group: $0.group, width: $0.width, span: $0.span * plane) })
            case .concat:
                segments.append(inputs.flatMap { $0 })
            case .add:
                let first = inputs[0]
                let aligned = inputs.allSatisfy { $0.map(\.width) == first.map(\.width) && $0.map(\.span) == first.map(\.span) }
                for other in inputs.dropFirst() {
                    for (a, b) in zip(first, other) where aligned { sets.union(a.group, b.group) }
                }
                if !aligned { for segment in inputs.flatMap({ $0 }) { unprunable.insert(segment.group) } }
                segments.append(first)
            }
        }
        for segment in segments.last ?? [] { unprunable.insert(segment.group) }
        groups = Self.collect(&sets, segments: segments, producers: producers, normalizers: normalizers,
                              consumers: consumers, rectifiers: rectifiers, unprunable: unprunable,
                              convolutions: convolutions)
    }

    /// Channels of a group as they pass through the graph.
    struct Segment {
        let group: Int
        let width: Int
        let span: Int
    }

    /// Where each segment of `input` sits in the input of `node`.
    static func placements(of input: [Segment], node: Int) -> [(Int, ChannelGroup.Placement)] {
        var offset = 0
        return input.map { segment in
            defer { offset += segment.width * segment.span }
            return (segment.group, ChannelGroup.Placement(node: node, offset: offset, span: segment.span))
        }
    }

    /// Merges the raw groups by their union–find roots into `ChannelGroup`s, ordered by first producer.
    static func collect(_ sets: inout UnionFind, segments: [[Segment]], producers: [Int: [Int]],
                        normalizers: [(Int, ChannelGroup.Placement)], consumers: [(Int, ChannelGroup.Placement)],
                        rectifiers: [(Int, ChannelGroup.Placement)], unprunable: Set<Int>,
                        convolutions: Set<Int>) -> [ChannelGroup] {
        struct Members {
            var producers: [Int] = []
            var normalizers: [ChannelGroup.Placement] = [], consumers: [ChannelGroup.Placement] = []
            var rectifiers: [ChannelGroup.Placement] = []
        }
        var widths: [Int: Int] = [:]
        for segment in segments.joined() { widths[sets.find(segment.group)] = segment.width }
        var byRoot: [Int: Members] = [:]
        for (group, nodes) in producers { byRoot[sets.find(group), default: Members()].producers += nodes }
        for (group, placement) in normalizers { byRoot[sets.find(group), default: Members()].normalizers.append(placement) }
        for (group, placement) in consumers { byRoot[sets.find(group), default: Members()].consumers.append(placement) }
        for (group, placement) in rectifiers { byRoot[sets.find(group), default: Members()].rectifiers.append(placement) }
        let blocked = Set(unprunable.map { sets.find($0) })
        let byNode: (ChannelGroup.Placement, ChannelGroup.Placement) -> Bool = { ($0.node, $0.offset) < ($1.node, $1.offset) }
        return byRoot.filter { !$0.value.producers.isEmpty }.map { root, members in
            ChannelGroup(width: widths[root] ?? 0, producers: members.producers.sorted(),
                         normalizers: members.normalizers.sorted(by: byNode), consumers: members.consumers.sorted(by: byNode),
                         rectifiers: members.rectifiers.sorted(by: byNode), isPrunable: !blocked.contains(root),
                         producerKind: convolutions.contains(members.producers[0]) ? .convolution : .linear,
                         isReadByConvolution: members.consumers.contains { convolutions.contains($0.node) })
        }.sorted { $0.producers[0] < $1.producers[0] }
    }
}

/// Disjoint sets over 0..<n with path halving; groups merged by `add` nodes.
struct UnionFind {
    private var parent: [Int] = []

    mutating func make() -> Int {
        parent.append(parent.count)
        return parent.count - 1
    }

    mutating func find(_ x: Int) -> Int {
        var x = x
        while parent[x] != x {
            parent[x] = parent[parent[x]]
            x = parent[x]
        }
        return x
    }

    mutating func union(_ a: Int, _ b: Int) {
        let (rootA, rootB) = (find(a), find(b))
        if rootA != rootB { parent[max(rootA, rootB)] = min(rootA, rootB) }
    }
}
