import ShearsNet

/// Optimal Brain Damage (LeCun, Denker & Solla 1990) on dependency groups, with the empirical
/// Fisher diagonal: the saliency of channel c sums, over the
/// group's producers p, the saliencies `s_q = ½ h_qq w_q²` of the weights of row c of W_p
/// (a conv's filter, a linear layer's neuron), the diagonal second-order term of the loss
/// change when those weights are set to zero (`δw_q = −w_q` in the paper's expansion):
///
///     s_c = ½ Σ_p Σ_{q ∈ W_p[c]} h_qq w_q²,   h_qq ≈ (1/N) Σ_n (∂ℓ_n/∂w_q)²
///
/// over the N calibration examples, from per-example gradients in evaluation mode. Only the
/// producers' weights count, not their biases nor BatchNorm parameters (what removal leaves
/// of those is folded into the consumers).
public struct ObdGroupCriterion: GroupCriterion {
    public let name = "obd"
    public let input = CriterionInput.calibrationImages
    /// Calibration images per forward and backward pass; the per-example gradients are read from each pass.
    public let batchSize: Int

    /// The criterion, reading the calibration images `batchSize` (≥ 1) at a time.
    public init(batchSize: Int = 128) {
        precondition(batchSize >= 1, "ObdGroupCriterion: batch size \(batchSize)")
        self.batchSize = batchSize
    }

    public func scores(_ network: GraphNetwork, groups: [ChannelGroup], calibration: Dataset?) throws -> [[Double]] {
        guard let data = calibration, data.count > 0 else { throw PruningError.needsCalibration(criterion: name) }
        let diagonal = fisherDiagonal(network, producers: Set(groups.flatMap(\.producers)), data: data)
        return Self.saliencies(network, groups: groups, diagonal: diagonal)
    }

    /// `½ Σ_p Σ_{q ∈ W_p[c]} h_qq w_q²` for every channel c of each group, `diagonal` holding h
    /// for each producer's weight (a producer without one adds nothing).
    static func saliencies(_ network: GraphNetwork, groups: [ChannelGroup], diagonal: [Int: [Double]]) -> [[Double]] {
        groups.map { group in
            var scores = [Double](repeating: 0, count: group.width)
            for producer in group.producers {
                guard let weight = network.nodes[producer].layer?.parameters.first?.value,
                      let h = diagonal[producer] else { continue }
                let row = weight.itemSize
                for channel in 0..<group.width {
                    var saliency = 0.0
                    for q in (channel * row)..<((channel + 1) * row) {
                        saliency += h[q] * Double(weight.values[q]) * Double(weight.values[q])
                    }
                    scores[channel] += saliency / 2
                }
            }
            return scores
        }
    }

    /// `(1/N) Σ_n (∂ℓ_n/∂w)²` for the weight of each producer, in its layout.
    func fisherDiagonal(_ network: GraphNetwork, producers: Set<Int>, data: Dataset) -> [Int: [Double]] {
        let producers = producers.sorted()
        var sums = producers.map { [Double](repeating: 0, count: network.nodes[$0].layer?.parameters.first?.value.count ?? 0) }
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
            for (index, producer) in producers.enumerated() {
                // The batch loss is a mean: N times its gradient is the per-example gradient.
                addSquaredSampleGradients(network, producer, images: images, scale: Double(end - start), into: &sums[index])
            }
            start = end
        }
        return Dictionary(uniqueKeysWithValues: zip(producers, sums.map { $0.map { $0 / Double(data.count) } }))
    }

    /// Adds `(scale · ∂L/∂W)²` of every example of the last backward pass, from the producer's
    /// recorded input and output gradient.
    func addSquaredSampleGradients(_ network: GraphNetwork, _ producer: Int, images: Tensor, scale: Double,
                                   into sums: inout [Double]) {
        let node = network.nodes[producer]
        let gradient = network.recordedGradients[producer]
        // A producer the loss does not depend on has no gradient, and adds nothing.
        guard gradient.count > 0 else { return }
        let input = node.inputs[0] < 0 ? images : network.recordedOutputs[node.inputs[0]]
        sums.withUnsafeMutableBufferPointer { total in
            let add: (Int, UnsafeBufferPointer<Float>) -> Void = { _, g in
                for i in 0..<g.count {
                    let value = scale * Double(g[i])
                    total[i] += value * value
                }
            }
            switch node.layer {
            case let conv as Conv2D: conv.forEachSampleWeightGradient(input: input, outputGradient: gradient, add)
            case let linear as Linear: linear.forEachSampleWeightGradient(input: input, outputGradient: gradient, add)
            default: preconditionFailure("ObdGroupCriterion: producer '\(node.name)' is neither a conv nor a linear layer")
            }
        }
    }
}
