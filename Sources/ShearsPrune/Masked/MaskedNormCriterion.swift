import ShearsNet

/// l_p norm of each element or kernel of a graph's weights (`groupNorm`): |w| for an element
/// (Han et al. 2015), `(Σ_{q∈kernel} |w_q|ᵖ)^(1/p)` for a kernel, p = 0 counting non-zeros
/// and p = ∞ taking the largest |w| (`GroupLayout.norms(of:p:)` on each layer).
public struct MaskedNormCriterion: MaskedCriterion {
    /// The norm's order, p in [0, ∞].
    public let p: Double
    /// The `CriterionName` spelling of the norm: `l0`, `l1`, `l2`, `linf`, or `lp:<p>`.
    public var name: String { CriterionName.norm(p: p).description }
    public let input = CriterionInput.weights

    /// The l_p criterion; p < 0 or NaN is a programmer error.
    public init(p: Double) {
        precondition(p >= 0, "MaskedNormCriterion: p must be in [0, inf], got \(p)")
        self.p = p
    }

    public func scores(_ network: GraphNetwork, layers: [MaskedLayer], calibration: Dataset?) throws -> [[Double]] {
        layers.map { $0.layout.norms(of: $0.weight.value.values, p: p) }
    }
}
