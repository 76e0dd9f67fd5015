import ShearsNet

/// The baseline every criterion must beat: independent uniform scores, so each channel of a
/// group is equally likely to go (seeded, reproducible).
public struct GroupRandomCriterion: GroupCriterion {
    /// Seeds the draws: the same seed and groups give the same scores.
    public let seed: UInt64
    public let name = "random"
    public let input = CriterionInput.weights
    public let scoresComparableAcrossGroups = true

    /// A baseline drawing from `SeededGenerator(seed: seed)`, in the order of the groups and their channels.
    public init(seed: UInt64) { self.seed = seed }

    public func scores(_ network: GraphNetwork, groups: [ChannelGroup], calibration: Dataset?) throws -> [[Double]] {
        var rng = SeededGenerator(seed: seed)
        return groups.map { group in (0..<group.width).map { _ in Double(rng.nextUnitFloat()) } }
    }
}
