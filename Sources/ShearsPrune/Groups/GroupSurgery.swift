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
        precondition(group.isPrunable, "GroupSurgery.keep: the group of node \(group.producers) is not prunable")
        precondition(!kept.isEmpty && kept == kept.sorted() && kept.allSatisfy { (0..<group.width).contains($0) },
                     "GroupSurgery.keep: \(kept) of \(group.width) channels")
        let keptSet = Set(kept)
        let removed = (0..<group.width).filter { !keptSet.contains($0) }
        guard !removed.isEmpty else { return }
        fold(removed, of: group, in: network)
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

    /// Folds what the removed channels carry, with their producers masked, into every consumer.
    static func fold(_ removed: [Int], of group: ChannelGroup, in network: GraphNetwork) {
        var saved: [(Parameter, [Float])] = []
        for producer in group.producers {
            guard let weight = network.nodes[producer].layer?.parameters.first else { continue }
            saved.append((weight, weight.value.values))
            let row = weight.value.itemSize
            for channel in removed { for i in (channel * row)..<((channel + 1) * row) { weight.value.values[i] = 0 } }
        }
        let outputs = network.outputs(for: Tensor(shape: [1] + network.specification.inputShape))
        for (weight, values) in saved { weight.value.values = values }
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
