import ShearsNet

/// `taylor-sq` on element, kernel, shape or input-channel groups (Molchanov et al. 2019,
/// "Importance Estimation for Neural Network Pruning", §3, eqs. 7–8):
///
///     I_S = (1/B) Σ_b (Σ_{s∈S} w_s g_s^(b))²,
///
/// `g^(b)` the gradient of minibatch b's mean loss over the calibration images in minibatches
/// of 64 (`WeightTaylorGroupCriterion.squaredFormMinibatch`), in evaluation mode; S the
/// group's weights (no bias: only a whole filter or neuron has one).
public struct MaskedTaylorSquaredCriterion: MaskedCriterion {
    public let name = "taylor-sq"
    public let input = CriterionInput.calibrationImages
    /// Images per minibatch whose squared sums are averaged: part of the definition.
    public let minibatch: Int

    /// The criterion over minibatches of `minibatch` (≥ 1) images.
    public init(minibatch: Int = WeightTaylorGroupCriterion.squaredFormMinibatch) {
        precondition(minibatch >= 1, "MaskedTaylorSquaredCriterion: minibatch \(minibatch)")
        self.minibatch = minibatch
    }

    public func scores(_ network: GraphNetwork, layers: [MaskedLayer], calibration: Dataset?) throws -> [[Double]] {
        guard let data = calibration, data.count > 0 else { throw PruningError.needsCalibration(criterion: name) }
        var sums = layers.map { [Double](repeating: 0, count: $0.layout.groupCount) }
        var batches = 0
        defer { network.zeroGradients() }
        var start = 0
        while start < data.count {
            let end = min(data.count, start + minibatch)
            let (images, labels) = data.batch(Array(start..<end)[...])
            network.zeroGradients()
            _ = network.backward(CrossEntropy(logits: network.forward(images, training: false), labels: labels).gradient)
            for (index, layer) in layers.enumerated() {
                let gates = layer.layout.weightGradientProducts(weight: layer.weight.value.values,
                                                                gradient: layer.weight.gradient.values)
                for (group, s) in gates.enumerated() { sums[index][group] += s * s }
            }
            batches += 1
            start = end
        }
        return sums.map { $0.map { $0 / Double(batches) } }
    }
}
