import ShearsNet
import ShearsPrune

/// A network family `CurveRunner` can train, prune to a FLOPs target, fine-tune and measure:
/// `GraphNetwork` (any graph, pruned through its dependency groups; vgg-s and resnet-s are
/// the references).
public protocol CurveModel: CheckpointedNetwork {
    /// A freshly initialised model of `configuration.model`, from `seed`.
    static func initial(_ configuration: CurveConfiguration, seed: UInt64) throws -> Self
    /// Whether `configuration.model`'s reference recipe decays every parameter (resnet-s:
    /// PyTorch's `SGD(model.parameters())`) or the weights only (vgg-s).
    static func decaysEveryParameter(_ configuration: CurveConfiguration) -> Bool
    /// An independent copy (weights, masks, state).
    func copy() -> Self
    /// Costs at the current shapes; FLOPs counted as `granularity` counts them.
    func curveCost(counting granularity: Granularity) -> CurveCost
    /// One curve step's pruning: the cell's criterion removes units until the FLOPs are at
    /// most `fraction` of `base`'s, scored on `data` only.
    func prune(toFraction fraction: Double, of base: Self, cell: CurveCell, step: Int,
               configuration: CurveConfiguration, data: CalibrationData) throws
    /// Soft pruning: zeroes the weights of the lowest units whose estimated saving reaches the
    /// FLOPs target, removing nothing.
    func zeroLowest(toFraction fraction: Double, of base: Self, cell: CurveCell, step: Int,
                    configuration: CurveConfiguration, data: CalibrationData) throws
    /// Group LASSO's proximal step after an SGD step at `learningRate`.
    func proximalStep(strength: Double, granularity: Granularity, learningRate: Double) throws
    /// Removes the groups a penalty drove exactly to zero.
    func removeZeroedGroups(granularity: Granularity) throws
}

/// What a curve row reports of a model's size.
public struct CurveCost: Sendable, Equatable {
    /// Values the network computes with, biases, BatchNorm parameters and folded output offsets included.
    public let parameters: Int
    /// Dense multiply-accumulates per image at the current shapes.
    public let macs: Int
    /// The FLOPs a target counts: dense (2 x MACs) for structured granularities, those of the
    /// non-zero weights for masked ones.
    public let flops: Int
    /// How many of `parameters` are not exactly zero; a row's sparsity is 1 − this over the unpruned model's.
    public let nonZeroParameters: Int

    /// A cost from the four counts, as `CurveModel.curveCost(counting:)` measures them.
    public init(parameters: Int, macs: Int, flops: Int, nonZeroParameters: Int) {
        (self.parameters, self.macs, self.flops, self.nonZeroParameters) = (parameters, macs, flops, nonZeroParameters)
    }
}

/// The calibration images of one curve seed: its own seeded ordering of the calibration
/// split, whose first `scoringSamples` images score and whose whole serves layer Hessians.
public struct CalibrationData: Sendable {
    /// The first `scoringSamples` images of `pool`: what the criteria score on.
    public let scoring: Dataset
    /// The whole calibration split in the seed's own order; a layer Hessian needing more images than `scoring` has
    /// takes them from its start.
    public let pool: Dataset

    init(calibration: Dataset, seed: UInt64, scoringSamples: Int) {
        pool = calibration.seededSubset(calibration.count, seed: seed)
        scoring = pool.prefix(scoringSamples)
    }

    /// The scoring seed of a curve step: by cell and step, so the random criterion draws anew
    /// at every step.
    static func seed(_ cell: CurveCell, step: Int) -> UInt64 { cell.seed &* 7919 &+ UInt64(step) }
}
