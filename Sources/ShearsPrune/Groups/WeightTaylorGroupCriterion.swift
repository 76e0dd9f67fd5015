import ShearsNet

/// The weight forms of the first-order Taylor criterion on dependency groups, `taylor-sq` and
/// `taylor-weight`: products `w_s · g_s` of weights and loss gradients, summed over the
/// group's members S before the absolute value or the square.
///
/// A channel's members are row c of every producer of the group (a conv's filter, a linear
/// layer's neuron): a multi-producer group (a resnet-s stage) sums over all of them. BatchNorm
/// γ/β are not members; a producer's bias is for `taylor-sq` (the paper's gate on a unit's
/// output includes it) and is not for `taylor-weight`. Computed in evaluation mode; the scores
/// are not normalised (global ranking does that per group).
public struct WeightTaylorGroupCriterion: GroupCriterion {
    /// Which of the two criteria this is; the raw value is its name.
    public enum Form: String, Sendable, CaseIterable {
        /// Molchanov et al. 2019 ("Importance Estimation for Neural Network Pruning", CVPR,
        /// §3, eqs. 7–8): `I_c = (1/B) Σ_b (Σ_{s∈S_c} w_s g_s^(b))²`, `g^(b)` the gradient of
        /// minibatch b's mean loss over minibatches of 64 images, S_c including each
        /// producer's bias b_c (the gradient of a multiplicative gate on the channel).
        case squared = "taylor-sq"
        /// `|Σ_{s∈S_c} w_s · ∂L/∂w_s|`, L the mean loss over the whole calibration subset,
        /// S_c the producers' weight rows only (Torch-Pruning's `TaylorImportance(multivariable=True)`).
        case weight = "taylor-weight"
    }

    /// Which of the two criteria this is; it also gives `name`.
    public let form: Form
    public var name: String { form.rawValue }
    public let input = CriterionInput.calibrationImages
    /// Calibration images per forward and backward pass: for `taylor-sq` the minibatch whose
    /// squared sums are averaged (`squaredFormMinibatch` by definition).
    public let batchSize: Int

    /// Images per minibatch of `taylor-sq`: the reference training batch (`vgg-s.md`).
    public static let squaredFormMinibatch = 64

    /// The criterion for `form`, reading the calibration images `batchSize` (≥ 1) at a time.
    public init(_ form: Form, batchSize: Int? = nil) {
        let size = batchSize ?? (form == .squared ? Self.squaredFormMinibatch : 128)
        precondition(size >= 1, "WeightTaylorGroupCriterion: batch size \(size)")
        (self.form, self.batchSize) = (form, size)
    }

    public func scores(_ network: GraphNetwork, groups: [ChannelGroup], calibration: Dataset?) throws -> [[Double]] {
        guard let data = calibration, data.count > 0 else { throw PruningError.needsCalibration(criterion: name) }
        var totals = groups.map { [Double](repeating: 0, count: $0.width) }
        var batches = 0
        defer { for parameter in network.parameters { parameter.zeroGradient() } }
        for parameter in network.parameters { parameter.zeroGradient() }
        var start = 0
        while start < data.count {
            let end = min(data.count, start + batchSize)
            let (images, labels) = data.batch(Array(start..<end)[...])
            var gradient = CrossEntropy(logits: network.forward(images, training: false), labels: labels).gradient
            switch form {
            case .squared:
                _ = network.backward(gradient)
                for (index, group) in groups.enumerated() {
                    for (channel, s) in gateGradients(group, network).enumerated() { totals[index][channel] += s * s }
                }
                for parameter in network.parameters { parameter.zeroGradient() }
            case .weight:
                // Each batch's mean-loss gradient weighted by its share: the subset's mean loss.
                let share = Float(end - start) / Float(data.count)
                for i in gradient.values.indices { gradient.values[i] *= share }
                _ = network.backward(gradient)
            }
            batches += 1
            start = end
        }
        switch form {
        case .squared: return totals.map { $0.map { $0 / Double(batches) } }
        case .weight: return groups.map { gateGradients($0, network).map(abs) }
        }
    }

    /// `Σ_{s∈S_c} w_s g_s` per channel from the producers' accumulated gradients.
    func gateGradients(_ group: ChannelGroup, _ network: GraphNetwork) -> [Double] {
        var sums = [Double](repeating: 0, count: group.width)
        for producer in group.producers {
            guard let parameters = network.nodes[producer].layer?.parameters, let weight = parameters.first else { continue }
            let (w, g, row) = (weight.value.values, weight.gradient.values, weight.value.itemSize)
            for channel in 0..<group.width {
                for q in (channel * row)..<((channel + 1) * row) { sums[channel] += Double(w[q]) * Double(g[q]) }
            }
            if form == .squared, parameters.count > 1 {
                let bias = parameters[1]
                for channel in 0..<group.width {
                    sums[channel] += Double(bias.value.values[channel]) * Double(bias.gradient.values[channel])
                }
            }
        }
        return sums
    }
}
