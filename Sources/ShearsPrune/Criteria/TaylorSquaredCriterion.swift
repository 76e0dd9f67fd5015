import ShearsNet

/// Molchanov et al. 2019 ("Importance Estimation for Neural Network Pruning", CVPR), the
/// group form of the first-order Taylor importance (§3, eqs. 7–8):
/// `I_S = (Σ_{s∈S} g_s w_s)²` with `g` the gradient of one minibatch's mean loss, averaged
/// over the minibatches of the scoring subset (criterion `taylor-sq`).
///
/// For filters and neurons the group includes the unit's bias, so `Σ_s g_s w_s` is the
/// gradient of a multiplicative gate on the unit's output — what the paper's gate
/// formulation (and NVIDIA's reference code's recommended gate setting) computes. Squaring
/// *before* averaging over minibatches keeps units whose effect changes sign between
/// minibatches, unlike `taylor-weight`'s `|Σ_s w_s ḡ_s|` over the whole subset.
public enum TaylorSquaredCriterion {
    /// Images per minibatch: the reference training batch (`vgg-s.md`).
    public static let minibatch = 64

    /// Each group's `I_S` averaged over the minibatches of `minibatch` images `data` splits into, in order (the last
    /// may be shorter), in evaluation mode. Throws `granularityNotApplicable` for a weight without such groups.
    public static func scores(_ model: VGG, granularity: Granularity, data: ImageBatchSource,
                              minibatch: Int = minibatch) throws -> [LayerScores] {
        precondition(minibatch >= 1, "TaylorSquaredCriterion: minibatch \(minibatch)")
        let groups = try GroupEnumeration.groups(of: model, at: granularity)
        let layouts = try groups.map { layerGroups in
            let shape = model.weight(of: layerGroups.layer).value.shape
            guard let layout = GroupLayout(granularity, weightShape: shape) else {
                throw PruningError.granularityNotApplicable(granularity, layer: layerGroups.name, reason: "weight shape \(shape)")
            }
            return layout
        }
        let withBias = granularity == .filter || granularity == .neuron
        var sums = groups.map { [Double](repeating: 0, count: $0.count) }
        var batches = 0
        defer { model.zeroGradients() }
        var start = 0
        while start < data.count {
            let end = min(data.count, start + minibatch)
            let (images, labels) = data.batch(Array(start..<end)[...])
            model.zeroGradients()
            _ = model.backward(CrossEntropy(logits: model.forward(images, training: false), labels: labels).gradient)
            for (index, layerGroups) in groups.enumerated() {
                let weight = model.weight(of: layerGroups.layer), bias = model.bias(of: layerGroups.layer)
                let gates = gateSums(weight: weight.value.values, gradient: weight.gradient.values, layout: layouts[index])
                for (group, gate) in gates.enumerated() {
                    var s = gate
                    if withBias { s += Double(bias.value.values[group]) * Double(bias.gradient.values[group]) }
                    sums[index][group] += s * s
                }
            }
            batches += 1
            start = end
        }
        return zip(groups, sums).map { layerGroups, total in
            LayerScores(groups: layerGroups, scores: total.map { $0 / Double(max(1, batches)) })
        }
    }

    /// `Σ_{s∈group} w_s g_s` for every group of one layer's weight (`layout` must describe
    /// it): the per-layer sum the VGG and graph paths square.
    public static func gateSums(weight w: [Float], gradient g: [Float], layout: GroupLayout) -> [Double] {
        (0..<layout.groupCount).map { group in layout.indices(group).reduce(0.0) { $0 + Double(w[$1]) * Double(g[$1]) } }
    }
}
