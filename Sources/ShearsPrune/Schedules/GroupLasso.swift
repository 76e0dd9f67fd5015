import ShearsNet

/// Group LASSO trained with a proximal step, so that whole groups become exactly zero and can
/// be removed: after each SGD step with learning rate η,
/// `w_g ← w_g · max(0, 1 − η·λ·√|g| / ‖w_g‖₂)` for every group g of the granularity
/// (Yuan & Lin 2006 weight √|g|; proximal gradient as in Parikh & Boyd 2014, §6.5.4); a group
/// is one channel of a dependency group (`GroupLasso+Groups.swift`). Penalised weights are the
/// producers' weights, not biases.
public struct GroupLasso: Sendable {
    /// λ of the penalty `λ Σ_g √|g| ‖w_g‖₂` added to the loss; finite and ≥ 0.
    public let strength: Double
    /// What a group g is: `filter` (conv-produced channels) or `neuron` (hidden linear units).
    public let granularity: Granularity

    /// A penalty of `strength` over the groups of `granularity`; a negative or non-finite strength is a programmer
    /// error.
    public init(strength: Double, granularity: Granularity) {
        precondition(strength >= 0 && strength.isFinite, "GroupLasso: strength \(strength)")
        self.strength = strength
        self.granularity = granularity
    }
}
