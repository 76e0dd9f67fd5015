import ShearsNet

/// Physical removal of a dependency group's channels from a graph network, equivalent to
/// masking them.
///
/// When every producer of a channel is masked, the channel still carries an input-independent
/// value: each producer's bias (or folded offset) through BatchNorm, ReLU, pooling and the
/// adds that tie the group together. Surgery reads that value at each consumer's input from
/// an evaluation pass of the masked network and folds it into the consumer (a conv's output
/// offset, which varies near the borders; a linear layer's bias) before cutting, so the
/// pruned network computes exactly what the masked one did
/// (`DependencyGraphTests.removalEqualsMasking`).
public enum GroupSurgery {
    /// Keeps channels `kept` (ascending, not empty) of `group` in `network`.
    public static func keep(_ kept: [Int], of group: ChannelGroup, in network: GraphNetwork) throws {
        try keep([kept], of: [group], in: network)
    }

    /// Keeps channels `kept[i]` (ascending, not empty) of `groups[i]` for every `i` at once:
    /// the result computes what masking all of the removed channels together computes. A
    /// removed filter whose input channels are removed too outputs, masked, its bias (and
    /// folded offset) alone, since its weights on those channels are masked with it; so every
    /// constant is read from one pass with all removed producers masked, before any cut.
    /// (Removing group by group would fold each removed filter's share of an earlier group's
    /// constant into the later groups' constants.)
    public static func keep(_ kept: [[Int]], of groups: [ChannelGroup], in network: GraphNetwork) throws {
        precondition(kept.count == groups.count, "GroupSurgery.keep: \(kept.count) kept lists for \(groups.count) groups")
        var removals: [[Int]] = []
        for (group, kept) in zip(groups, kept) {
            precondition(group.isPrunable, "GroupSurgery.keep: the group of node \(group.producers) is not prunable")
            precondition(!kept.isEmpty && kept == kept.sorted() && kept.allSatisfy { (0..<group.width).contains($0) },
                         "GroupSurgery.keep: \(kept) of \(group.width) channels")
            let keptSet = Set(kept)
            removals.append((0..<group.width).filter { !keptSet.contains($0) })
        }
        guard removals.contains(where: { !$0.isEmpty }) else { return }
        fold(removals, of: groups, in: network)
        for (group, removed) in zip(groups, removals) where !removed.isEmpty {
            // Widths and concat offsets change as groups shrink: re-derive the group each time.
            let current = try DependencyGraph(network.specification).groups.first { $0.producers.first == group.producers[0] }!
            try cut(removed, of: current, in: network)
        }
    }

    /// Removes channels `removed` of `group` from its producers, normalisers and consumers,
    /// once their constants are folded.
    private static func cut(_ removed: [Int], of group: ChannelGroup, in network: GraphNetwork) throws {
        let removedSet = Set(removed)
        let kept = (0..<group.width).filter { !removedSet.contains($0) }
        for (node, placements) in Dictionary(grouping: group.consumers, by: \.node) {
            switch network.nodes[node].layer {
            case let conv as Conv2D: conv.keepInputChannels(survivors(of: removed, placements, total: conv.inChannels))
            case let linear as Linear: linear.keepInputs(survivors(of: removed, placements, total: linear.inFeatures))
            default: break
            }
        }
        for producer in group.producers {
            if let conv = network.nodes[producer].layer as? Conv2D { conv.keepOutputChannels(kept) }
            if let linear = network.nodes[producer].layer as? Linear { linear.keepOutputs(kept) }
        }
        for (node, placements) in Dictionary(grouping: group.normalizers, by: \.node) {
            let norm = network.nodes[node].layer as! BatchNorm2D
            norm.keepChannels(survivors(of: removed, placements, total: norm.channels))
        }
        try network.updateWidths()
    }

    /// Positions along a node's input that remain when the `removed` channels of a group go
    /// from each of its `placements` there (a node may read a group twice, through a concat).
    static func survivors(of removed: [Int], _ placements: [ChannelGroup.Placement], total: Int) -> [Int] {
        var gone = Set<Int>()
        for placement in placements {
            for channel in removed {
                let start = placement.offset + channel * placement.span
                gone.formUnion(start..<(start + placement.span))
            }
        }
        return (0..<total).filter { !gone.contains($0) }
    }

    /// Folds what the removed channels `removals[i]` of `groups[i]` carry, with all of their
    /// producers masked together, into every consumer.
    static func fold(_ removals: [[Int]], of groups: [ChannelGroup], in network: GraphNetwork) {
        var saved: [(Parameter, [Float])] = []
        for (group, removed) in zip(groups, removals) where !removed.isEmpty {
            for producer in group.producers {
                guard let weight = network.nodes[producer].layer?.parameters.first else { continue }
                if !saved.contains(where: { $0.0 === weight }) { saved.append((weight, weight.value.values)) }
                let row = weight.value.itemSize
                for channel in removed { for i in (channel * row)..<((channel + 1) * row) { weight.value.values[i] = 0 } }
            }
        }
        let outputs = network.outputs(for: Tensor(shape: [1] + network.specification.inputShape))
        for (weight, values) in saved { weight.value.values = values }
        for (group, removed) in zip(groups, removals) where !removed.isEmpty {
            fold(removed, of: group, from: outputs, in: network)
        }
    }

    /// Folds the removed channels' values in `outputs` (the masked pass) into `group`'s consumers.
    private static func fold(_ removed: [Int], of group: ChannelGroup, from outputs: [Tensor], in network: GraphNetwork) {
        for placement in group.consumers {
            // The network's input is never in a prunable group.
            let input = outputs[network.nodes[placement.node].inputs[0]]
            if let conv = network.nodes[placement.node].layer as? Conv2D {
                let plane = input.shape[2] * input.shape[3]
                // A channel the consumer reads through zero weights (after an OBS or
                // least-squares repair) contributes nothing: fold no offset for it.
                let read = removed.filter { conv.readsInputChannel(placement.offset + $0) }
                let planes = Dictionary(uniqueKeysWithValues: read.map { channel in
                    let start = (placement.offset + channel) * plane
                    return (placement.offset + channel, Array(input.values[start..<(start + plane)]))
                })
                conv.foldInputPlanes(planes, height: input.shape[2], width: input.shape[3])
            } else if let linear = network.nodes[placement.node].layer as? Linear {
                var constants: [Int: Float] = [:]
                for channel in removed {
                    let start = placement.offset + channel * placement.span
                    for column in start..<(start + placement.span) { constants[column] = input.values[column] }
                }
                linear.foldConstantInputs(constants)
            }
        }
    }
}
