import ShearsNet

/// Group LASSO trained with a proximal step, so that whole groups become exactly zero and can
/// be removed: after each SGD step with learning rate η,
/// `w_g ← w_g · max(0, 1 − η·λ·√|g| / ‖w_g‖₂)` for every group g of the granularity
/// (Yuan & Lin 2006 weight √|g|; proximal gradient as in Parikh & Boyd 2014, §6.5.4). With
/// single weights as groups (element granularity) this is LASSO's soft-thresholding,
/// `w ← sign(w)·max(0, |w| − ηλ)`. Penalised weights are the layers' weights, not biases.
public struct GroupLasso: Sendable {
    /// λ of the penalty `λ Σ_g √|g| ‖w_g‖₂` added to the loss; finite and ≥ 0.
    public let strength: Double
    /// What a group g is; each layer's weight is split by `GroupLayout`.
    public let granularity: Granularity

    /// A penalty of `strength` over the groups of `granularity`; a negative or non-finite strength is a programmer
    /// error.
    public init(strength: Double, granularity: Granularity) {
        precondition(strength >= 0 && strength.isFinite, "GroupLasso: strength \(strength)")
        self.strength = strength
        self.granularity = granularity
    }

    /// The proximal step for a gradient step of size `learningRate`.
    public func proximalStep(_ model: VGG, learningRate: Double) throws {
        for layerGroups in try GroupEnumeration.groups(of: model, at: granularity) {
            let weight = model.weight(of: layerGroups.layer)
            guard let layout = GroupLayout(granularity, weightShape: weight.value.shape) else {
                throw PruningError.granularityNotApplicable(granularity, layer: layerGroups.name, reason: "weight shape \(weight.value.shape)")
            }
            weight.value.values.withUnsafeMutableBufferPointer { w in
                for group in 0..<layerGroups.count {
                    let indices = layout.indices(group)
                    let norm = indices.reduce(0.0) { $0 + Double(w[$1]) * Double(w[$1]) }.squareRoot()
                    let threshold = learningRate * strength * Double(indices.count).squareRoot()
                    let scale = norm > threshold ? Float(1 - threshold / norm) : 0
                    for i in indices { w[i] *= scale }
                }
            }
        }
    }

    /// The groups whose weights are all exactly zero, as a plan that removes them (for
    /// structured granularities removal is then exact: their constant outputs are folded).
    /// Every layer keeps at least one group.
    public static func zeroGroups(_ model: VGG, granularity: Granularity) throws -> PruningPlan {
        var removals: [PrunableLayer: [Int]] = [:]
        for layerGroups in try GroupEnumeration.groups(of: model, at: granularity) {
            let weight = model.weight(of: layerGroups.layer)
            guard let layout = GroupLayout(granularity, weightShape: weight.value.shape) else { continue }
            let mask = weight.mask
            var zero = (0..<layerGroups.count).filter { group in
                layout.indices(group).allSatisfy { weight.value.values[$0] == 0 && (mask?[$0] ?? 1) != 0 }
            }
            if zero.count == layerGroups.count { zero.removeLast() }
            if !zero.isEmpty { removals[layerGroups.layer] = zero }
        }
        return PruningPlan(granularity: granularity, removals: removals)
    }
}
