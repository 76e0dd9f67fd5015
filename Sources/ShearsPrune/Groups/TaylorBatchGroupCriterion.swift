import ShearsNet

/// The batch form of Molchanov et al. 2017's Taylor criterion (`taylor-batch`) on dependency
/// groups: the absolute value taken *after* averaging `a·∂ℓ_n/∂a` over examples and positions,
/// so that effects of opposite sign cancel across examples (the per-example form, eq. 8 of
/// ICLR 2017 §2.2, is `taylor`, `TaylorGroupCriterion`).
///
/// It reads post-ReLU activations: for ReLU r of the group
/// (`ChannelGroup.rectifiers`) with output `a_{r,n,c,m}` for example n, channel c, at its `M_r`
/// positions per channel, over N calibration examples,
///
///     s_c = Σ_r |(1/(N·M_r)) Σ_n Σ_m a_{r,n,c,m} · ∂ℓ_n/∂a_{r,n,c,m}|
///
/// so a multi-producer group (a resnet-s stage) sums over every ReLU that carries its channels.
/// The scores are not normalised: global ranking (`GroupFlopsPruning`) divides each group's by
/// their l2 norm. Groups without a ReLU are left whole. Computed in
/// evaluation mode, where the per-example gradient is the batch gradient of the mean loss
/// times the batch size.
public struct TaylorBatchGroupCriterion: GroupCriterion {
    public let name = "taylor-batch"
    public let input = CriterionInput.calibrationImages
    /// Calibration images per forward and backward pass.
    public let batchSize: Int

    /// The criterion, reading the calibration images `batchSize` (≥ 1) at a time.
    public init(batchSize: Int = 128) {
        precondition(batchSize >= 1, "TaylorBatchGroupCriterion: batch size \(batchSize)")
        self.batchSize = batchSize
    }

    public func applies(to group: ChannelGroup) -> Bool { !group.rectifiers.isEmpty }

    public func scores(_ network: GraphNetwork, groups: [ChannelGroup], calibration: Dataset?) throws -> [[Double]] {
        guard let data = calibration, data.count > 0 else { throw PruningError.needsCalibration(criterion: name) }
        precondition(groups.allSatisfy(applies), "TaylorBatchGroupCriterion: a group without a ReLU")
        // Σ_n Σ_m a·∂ℓ_n/∂a per group, ReLU and channel.
        var sums = groups.map { group in group.rectifiers.map { _ in [Double](repeating: 0, count: group.width) } }
        network.isRecording = true
        defer {
            network.isRecording = false
            for parameter in network.parameters { parameter.zeroGradient() }
        }
        var start = 0
        while start < data.count {
            let end = min(data.count, start + batchSize)
            let (images, labels) = data.batch(Array(start..<end)[...])
            _ = network.backward(CrossEntropy(logits: network.forward(images, training: false), labels: labels).gradient)
            for (index, group) in groups.enumerated() {
                for (r, rectifier) in group.rectifiers.enumerated() {
                    accumulate(rectifier, width: group.width, network, examples: end - start, into: &sums[index][r])
                }
            }
            start = end
        }
        return zip(groups, sums).map { group, perReLU in
            var scores = [Double](repeating: 0, count: group.width)
            for (rectifier, sum) in zip(group.rectifiers, perReLU) {
                let count = Double(data.count * positions(rectifier, network))
                for channel in 0..<group.width { scores[channel] += abs(sum[channel] / count) }
            }
            return scores
        }
    }

    /// Values per channel per example at `rectifier`: its span times the node's plane (1 after flatten).
    func positions(_ rectifier: ChannelGroup.Placement, _ network: GraphNetwork) -> Int {
        rectifier.span * network.nodeShapes[rectifier.node].dropFirst(2).reduce(1, *)
    }

    /// Adds `Σ_n Σ_m a·(n·g)` of one batch (g the mean loss's gradient at the ReLU's output) per channel.
    func accumulate(_ rectifier: ChannelGroup.Placement, width: Int, _ network: GraphNetwork, examples n: Int,
                    into sums: inout [Double]) {
        let (a, g) = (network.recordedOutputs[rectifier.node], network.recordedGradients[rectifier.node])
        // A ReLU the loss does not depend on has no gradient, and adds nothing.
        guard g.count == a.count else { return }
        let perChannel = positions(rectifier, network)
        let first = rectifier.offset * (perChannel / rectifier.span)
        let itemSize = a.itemSize
        for example in 0..<n {
            for channel in 0..<width {
                let base = example * itemSize + first + channel * perChannel
                var product = 0.0
                for m in base..<(base + perChannel) { product += Double(a.values[m]) * Double(g.values[m]) }
                sums[channel] += product * Double(n)
            }
        }
    }
}
