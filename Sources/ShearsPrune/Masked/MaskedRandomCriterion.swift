import ShearsNet

/// The baseline every criterion must beat: uniform scores in [0, 1) drawn from
/// `SeededGenerator(seed:)` layer by layer, group by group in node order; compared across
/// layers as they are, so every weight or kernel is equally likely to go next.
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
