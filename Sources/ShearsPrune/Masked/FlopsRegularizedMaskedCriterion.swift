import ShearsNet

/// FLOPs regularisation (Molchanov et al. 2017, eq. 9) of any element, kernel or shape
/// criterion: `Θ − λ · GFLOPs(group)`, a group's GFLOPs per image being 2 × its non-zero
/// weights × their uses per image (`MaskedLayer.nonZeroMacs`) / 1e9.
public struct FlopsRegularizedMaskedCriterion: MaskedCriterion {
    /// The criterion whose scores are regularised.
    public let base: any MaskedCriterion
    /// λ, in importance per GFLOP.
    public let lambda: Double

    /// `base` regularised by `lambda`, which must be finite and ≥ 0 (a precondition).
    public init(_ base: any MaskedCriterion, lambda: Double) {
        precondition(lambda >= 0 && lambda.isFinite, "FLOPs regularisation: λ = \(lambda)")
        self.base = base
        self.lambda = lambda
    }

    /// The base criterion's name: regularisation does not rename it.
    public var name: String { base.name }
    /// What the base criterion reads (the FLOPs come from the graph).
    public var input: CriterionInput { base.input }
    /// As the base criterion's scores.
    public var scoresComparableAcrossLayers: Bool { base.scoresComparableAcrossLayers }
    /// The base criterion's own repair.
    public var definingCompensation: Compensation { base.definingCompensation }

    /// The base criterion's scores minus λ · the group's GFLOPs per image.
    public func scores(_ network: GraphNetwork, layers: [MaskedLayer], calibration: Dataset?) throws -> [[Double]] {
        let raw = try base.scores(network, layers: layers, calibration: calibration)
        return zip(raw, layers).map { scores, layer in
            scores.indices.map { scores[$0] - lambda * 2 * Double(layer.nonZeroMacs($0)) / 1e9 }
        }
    }

    /// The base criterion's own update (OBS's at shape), unchanged by the regularisation.
    public func applyDefiningUpdate(_ network: GraphNetwork, layers: [MaskedLayer], removals: [[Int]],
                                    calibration: Dataset?) throws {
        try base.applyDefiningUpdate(network, layers: layers, removals: removals, calibration: calibration)
    }
}
