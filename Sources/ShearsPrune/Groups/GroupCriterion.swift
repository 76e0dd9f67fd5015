import ShearsNet

/// What a criterion reads besides the network: declared, so a runner can supply it.
public enum CriterionInput: Sendable, Equatable {
    /// The weights (and BatchNorm parameters) alone.
    case weights
    /// Calibration images (`Dataset.calibrationSplit`), never test images.
    case calibrationImages
}

/// A pruning criterion over dependency groups: one score per channel of each group, lower
/// scores removed first. Adding a criterion is one conforming type; `GroupCriteria.named`
/// registers the built-in ones by their CLI names, and a user's own type is passed to
/// `GroupPruner` directly.
public protocol GroupCriterion: Sendable {
    /// The name users pick it by (`l1`, `bn-scale`).
    var name: String { get }
    /// What `scores` reads besides the network.
    var input: CriterionInput { get }
    /// Whether the criterion can score `group` at all (`bn-scale` needs a BatchNorm); groups
    /// it cannot score are left whole.
    func applies(to group: ChannelGroup) -> Bool
    /// Scores for every channel of each of `groups` (in order), all of which it applies to. `calibration` holds images
    /// when `input` asks for them. A group shared by several producers or normalisers scores
    /// as the sum over its members.
    func scores(_ network: GraphNetwork, groups: [ChannelGroup], calibration: Dataset?) throws -> [[Double]]
    /// Whether scores of different groups are already on one scale, so that global ranking
    /// compares them as they are instead of l2-normalising each group's first (true only for
    /// the random baseline: normalising would make wide groups lose more channels).
    var scoresComparableAcrossGroups: Bool { get }
    /// The repair the criterion's method is defined with, applied when pruning asks for none:
    /// `.obs` for OBS (Hassibi & Stork 1993 remove a weight *with* the update its saliency
    /// prices), `.none` for every other criterion.
    var definingCompensation: Compensation { get }
}

extension GroupCriterion {
    public func applies(to group: ChannelGroup) -> Bool { true }
    public var scoresComparableAcrossGroups: Bool { false }
    public var definingCompensation: Compensation { .none }
}

/// The built-in group criteria by name.
public enum GroupCriteria {
    /// Every fixed name `named` accepts.
    public static let fixedNames = ["l0", "l1", "l2", "linf", "random", "bn-scale", "taylor", "taylor-batch", "taylor-sq",
                                    "taylor-weight", "activation", "activation-std", "apoz", "obd", "obd-exact",
                                    "oracle", "oracle-abs", "obs", "obs-no-update"]
    /// Names accepted by `named`, for messages: the fixed names and the pattern `lp:<p>` (any p in
    /// [0, inf], as `CriterionName(parsing:)` reads it). Check a name with `accepts`, not `contains`.
    public static let names = fixedNames + ["lp:<p>"]

    /// Whether `named` knows `name` (a fixed name, or `lp:<p>` with p in [0, inf]).
    public static func accepts(_ name: String) -> Bool { named(name, seed: 0) != nil }

    /// The criterion called `name` at `granularity` (filter, channel or neuron), or nil;
    /// `seed` drives the random baseline, and `pool` (calibration images whose prefix is the
    /// scoring subset) extends OBS's layer Hessians that would otherwise have fewer samples
    /// than their order; `obsDamping` is OBS's relative δ.
    ///
    /// At `channel`, the criteria that read weights score the consumers' input slices
    /// (`InputChannelCriterion`); the others (activations, the oracle, OBS, which already reads
    /// the consumers, BatchNorm scales, random) score a channel as at `filter`.
    public static func named(_ name: String, seed: UInt64, granularity: Granularity = .filter, pool: Dataset? = nil,
                             obsDamping: Double = OptimalBrainSurgeon.defaultRelativeDamping) -> (any GroupCriterion)? {
        if granularity == .channel, let parsed = try? CriterionName(parsing: name), InputChannelCriterion.readsInputSlices(parsed),
           let perLayer = try? MaskedCriteria.named(name, granularity: .channel, seed: seed) {
            return InputChannelCriterion(perLayer)
        }
        switch name {
        case "l1": return GroupNormCriterion(p: 1)
        case "l2": return GroupNormCriterion(p: 2)
        case "random": return GroupRandomCriterion(seed: seed)
        case "bn-scale": return BatchNormScaleCriterion()
        case "taylor": return TaylorGroupCriterion()
        case "taylor-batch": return TaylorBatchGroupCriterion()
        case "taylor-sq": return WeightTaylorGroupCriterion(.squared)
        case "taylor-weight": return WeightTaylorGroupCriterion(.weight)
        case "activation": return ActivationGroupCriterion(.mean)
        case "activation-std": return ActivationGroupCriterion(.standardDeviation)
        case "apoz": return ActivationGroupCriterion(.apoz)
        case "obd": return ObdGroupCriterion()
        case "obd-exact": return ObdExactGroupCriterion()
        case "oracle": return OracleGroupCriterion(signed: true)
        case "oracle-abs": return OracleGroupCriterion(signed: false)
        case "obs": return ObsGroupCriterion(update: true, pool: pool, damping: obsDamping)
        case "obs-no-update": return ObsGroupCriterion(update: false, pool: pool, damping: obsDamping)
        default:
            // `l0`, `linf` and `lp:<p>`, parsed by `CriterionName`.
            guard case let .norm(p)? = try? CriterionName(parsing: name) else { return nil }
            return GroupNormCriterion(p: p)
        }
    }
}
