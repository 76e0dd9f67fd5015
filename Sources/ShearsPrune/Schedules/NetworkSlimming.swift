import ShearsNet

/// Network slimming's sparsity penalty on BatchNorm scales (Liu et al. 2017, "Learning
/// Efficient Convolutional Networks through Network Slimming", eq. 1): the loss gains
/// `λ Σ_γ |γ|` over every BatchNorm's γ, so that channels the network can spare shrink to
/// zero and `bn-scale` (`BatchNormScaleCriterion`) removes them first.
///
/// Applied after each SGD step with learning rate η as the penalty's proximal map,
/// `γ ← sign(γ)·max(0, |γ| − ηλ)` (as `GroupLasso`): the exact minimiser of the penalised step,
/// which reaches exact zeros; the authors' code adds the subgradient `λ·sign(γ)` to the
/// gradient instead, which only oscillates around zero.
public struct NetworkSlimming: Sendable {
    /// λ of the penalty `λ Σ_γ |γ|` added to the loss; finite and ≥ 0.
    public let strength: Double

    /// A penalty of `strength`; a negative or non-finite strength is a programmer error.
    public init(strength: Double) {
        precondition(strength >= 0 && strength.isFinite, "NetworkSlimming: strength \(strength)")
        self.strength = strength
    }

    /// The proximal step on the scales of `norms` after a gradient step of size `learningRate`.
    public func proximalStep(_ norms: [BatchNorm2D], learningRate: Double) {
        let threshold = Float(learningRate * strength)
        for norm in norms {
            norm.weight.value.values.withUnsafeMutableBufferPointer { gamma in
                for c in 0..<gamma.count {
                    let shrunk = max(0, abs(gamma[c]) - threshold)
                    gamma[c] = gamma[c] < 0 ? -shrunk : shrunk
                }
            }
        }
    }
}
