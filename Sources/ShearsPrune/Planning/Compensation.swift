/// How the layer that reads removed units is repaired, chosen independently of the criterion.
/// For shape groups the repaired layer is the pruned conv itself (its remaining columns).
public enum Compensation: String, Sendable, Codable, CaseIterable {
    /// Remove and leave the rest as it is.
    case none
    /// Optimal Brain Surgeon update of the consumer's remaining weights,
    /// `δW = −W_S ([H⁻¹]_SS)⁻¹ (H⁻¹)_{S,:}` with `H = (2/N) Σ x xᵀ` of its inputs, damped
    /// relatively as OBS's scores are (`OptimalBrainSurgeon`).
    case obs
    /// Least-squares refit of the consumer's remaining weights *and bias* so that its
    /// pre-activations on the subset are preserved (Castellano, Fanelli & Pelillo 1997).
    /// Solved as OBS on the Hessian of the inputs extended by a constant 1, which makes a
    /// removed unit's constant output fold into the bias; undamped (δ = 0), since the refit
    /// is meant to be exact.
    case leastSquares = "least-squares"
}
