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

/// The baseline every criterion must beat: uniform scores in [0, 1) drawn from
/// `SeededGenerator(seed:)` layer by layer, group by group in node order; compared across layers as they are, so every
/// weight or kernel is equally likely to go next.
public struct MaskedRandomCriterion: MaskedCriterion {
    /// Seeds the draws: the same seed and layers give the same scores.
    public let seed: UInt64
    public let name = "random"
    public let input = CriterionInput.weights
    public let scoresComparableAcrossLayers = true

    /// A baseline drawing from `SeededGenerator(seed: seed)`.
    public init(seed: UInt64) { self.seed = seed }

    public func scores(_ network: GraphNetwork, layers: [MaskedLayer], calibration: Dataset?) throws -> [[Double]] {
        var rng = SeededGenerator(seed: seed)
        return layers.map { layer in (0..<layer.layout.groupCount).map { _ in Double(rng.nextUnitFloat()) } }
    }
}
