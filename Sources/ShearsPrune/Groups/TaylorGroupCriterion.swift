import ShearsNet

/// Molchanov et al. 2017's Taylor criterion (ICLR 2017, §2.2, eq. 8) on dependency groups:
/// for each calibration example n, the first-order change of its loss when channel c is
/// zeroed at every producer of the group, `|(1/M) Σ_p Σ_m z_{p,n,c,m} · ∂ℓ_n/∂z_{p,n,c,m}|`,
/// then averaged over the examples ("computed for each example separately and averaged").
///
/// `z_p` is producer p's output (a conv's output before its BatchNorm, or a linear layer's);
/// M its positions per channel (the producers of a group share a shape). For conv → ReLU
/// this equals the paper's post-ReLU product, since `a·1[a>0]·∂ℓ/∂z = z·∂ℓ/∂z`. Computed in
/// evaluation mode, where examples do not interact, so the per-example gradient is the
/// batch gradient of the mean loss times N.
public struct TaylorGroupCriterion: GroupCriterion {
    public let name = "taylor"
    public let input = CriterionInput.calibrationImages
    /// Calibration images per forward and backward pass.
    public let batchSize: Int

    /// The criterion, reading the calibration images `batchSize` (≥ 1) at a time.
    public init(batchSize: Int = 128) {
        precondition(batchSize >= 1, "TaylorGroupCriterion: batch size \(batchSize)")
        self.batchSize = batchSize
    }

    public func scores(_ network: GraphNetwork, groups: [ChannelGroup], calibration: Dataset?) throws -> [[Double]] {
        guard let data = calibration, data.count > 0 else { throw PruningError.needsCalibration(criterion: name) }
        var sums = groups.map { [Double](repeating: 0, count: $0.width) }
        network.isRecording = true
        defer {
            network.isRecording = false
            for parameter in network.parameters { parameter.zeroGradient() }
        }
        var start = 0
        while start < data.count {
            let end = min(data.count, start + batchSize)
            let (images, labels) = data.batch(Array(start..<end)[...])
            let result = CrossEntropy(logits: network.forward(images, training: false), labels: labels)
            _ = network.backward(result.gradient)
            for (index, group) in groups.enumerated() {
                accumulate(group, network, examples: end - start, into: &sums[index])
            }
            start = end
        }
        return sums.map { $0.map { $0 / Double(data.count) } }
    }

    /// Adds Σ_n |(N/M) Σ_p Σ_m z·g| of one batch (g the mean loss's gradient) to `sums`.
    func accumulate(_ group: ChannelGroup, _ network: GraphNetwork, examples n: Int, into sums: inout [Double]) {
        let outputs = group.producers.map { network.recordedOutputs[$0] }
        let gradients = group.producers.map { network.recordedGradients[$0] }
        let positions = outputs[0].count / (n * group.width)
        for example in 0..<n {
            for channel in 0..<group.width {
                var product = 0.0
                let base = (example * group.width + channel) * positions
                for (z, g) in zip(outputs, gradients) where g.count == z.count {
                    for m in base..<(base + positions) { product += Double(z.values[m]) * Double(g.values[m]) }
                }
                sums[channel] += abs(product * Double(n) / Double(positions))
            }
        }
    }
}
