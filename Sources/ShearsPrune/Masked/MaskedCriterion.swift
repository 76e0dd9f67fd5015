import ShearsNet

/// A criterion scoring the element, kernel or shape groups of a graph network's conv and
/// linear weights: one score per group of each `MaskedLayer`, lower pruned first (masked, or
/// removed at shape). Each criterion's formula is on its type, checked against brute force on
/// small graphs (`GraphMaskedCriteriaTests`, `GraphShapeCriteriaTests`).
public protocol MaskedCriterion: Sendable {
    /// The name users pick it by (`l1`, `obd`).
    var name: String { get }
    /// What `scores` reads besides the network.
    var input: CriterionInput { get }
    /// Whether scores of different layers are already on one scale, so that global ranking
    /// compares them as they are instead of l2-normalising each layer's first (the random
    /// baseline only).
    var scoresComparableAcrossLayers: Bool { get }
    /// One score per group of each of `layers` (in order); `calibration` holds images when `input` asks for them.
    func scores(_ network: GraphNetwork, layers: [MaskedLayer], calibration: Dataset?) throws -> [[Double]]
    /// The repair the criterion's method is defined with: `.obs` for `obs` (shape groups only),
    /// `.none` for every other criterion; `applyDefiningUpdate` carries it out.
    var definingCompensation: Compensation { get }
    /// Applies the repair the criterion's method is defined with before shape groups
    /// `removals[i]` of `layers[i]` are removed: OBS's update of the remaining columns for `obs`
    /// (Hassibi & Stork 1993 remove a weight *with* the update its saliency prices), nothing for
    /// every other criterion.
    func applyDefiningUpdate(_ network: GraphNetwork, layers: [MaskedLayer], removals: [[Int]], calibration: Dataset?) throws
}

extension MaskedCriterion {
    public var scoresComparableAcrossLayers: Bool { false }
    public var definingCompensation: Compensation { .none }
    public func applyDefiningUpdate(_ network: GraphNetwork, layers: [MaskedLayer], removals: [[Int]],
                                    calibration: Dataset?) throws {}
}

/// The masked criteria by their CLI names.
public enum MaskedCriteria {
    /// The criterion called `name` at `granularity` (element, kernel or shape); `seed` drives
    /// `random`, `pool` (calibration images whose prefix is the scoring subset) extends OBS's
    /// layer Hessians that would otherwise have fewer samples than their order, `obsDamping` is
    /// OBS's δ. `obs` (with its update of the remaining columns) exists at shape only.
    ///
    /// Throws `granularityNotApplicable` for a criterion that does not score single weights,
    /// kernels or columns (those reading a unit's activations, and group-only ones such as
    /// `bn-scale`), and `unknownCriterion` for a name no criterion has.
    public static func named(_ name: String, granularity: Granularity, seed: UInt64, pool: Dataset? = nil,
                             obsDamping: Double = OptimalBrainSurgeon.defaultRelativeDamping) throws -> any MaskedCriterion {
        let parsed: CriterionName
        do {
            parsed = try CriterionName(parsing: name)
        } catch {
            guard GroupCriteria.accepts(name) else { throw error }
            throw PruningError.granularityNotApplicable(granularity, layer: "criterion '\(name)'",
                                                        reason: "it scores channel groups only")
        }
        switch parsed {
        case .random: return MaskedRandomCriterion(seed: seed)
        case let .norm(p): return MaskedNormCriterion(p: p)
        case .taylorWeight: return MaskedTaylorWeightCriterion()
        case .obd: return MaskedObdCriterion()
        case .obdExact: return MaskedObdCriterion(exact: true)
        case .taylorSquared: return MaskedTaylorSquaredCriterion()
        case .obsNoUpdate: return MaskedObsCriterion(pool: pool, damping: obsDamping)
        case .obs where granularity == .shape: return MaskedObsCriterion(pool: pool, damping: obsDamping, update: true)
        case .obs:
            throw PruningError.granularityNotApplicable(granularity, layer: "criterion 'obs'",
                                                        reason: "OBS is defined with its update of the remaining weights, which masks do not apply; "
                                                            + "obs-no-update ranks by the same saliency")
        case .activation, .activationStd, .apoz, .taylor, .taylorBatch:
            throw PruningError.granularityNotApplicable(granularity, layer: "criterion '\(name)'",
                                                        reason: "it scores a unit's activations, which a single weight, kernel or column does not have")
        case .oracle, .oracleAbs: return MaskedOracleCriterion(signed: parsed == .oracle)
        }
    }
}
