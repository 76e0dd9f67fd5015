import ShearsNet

/// Scores a model's groups with any criterion by name.
///
/// Every image it sees comes from the calibration split of the training file
/// (`Dataset.calibrationSplit`), never from the test set.
public struct CriterionEngine {
    /// Images the data-driven criteria are computed on.
    public var data: Dataset
    /// Images that layer Hessians (OBS scores, OBS and least-squares compensation) may use
    /// beyond `data` (`HessianImages`): `data` must be its prefix.
    public var pool: Dataset?
    /// Seeds the `random` criterion's draws; every other criterion is deterministic.
    public var seed: UInt64
    /// Images per forward (and backward) pass of the data-driven criteria; `taylor-sq` keeps its minibatch of 64, which
    /// is part of its definition.
    public var batchSize: Int
    /// δ of OBS's relative damping λ = δ · mean(diag H) (0: the smallest λ that factors H).
    public var damping: Double

    /// An engine scoring on `data`, with `pool` (of which `data` is a prefix) for under-sampled layer Hessians, `seed`
    /// for `random`, and OBS damping δ = `damping` (0.01 by default).
    public init(data: Dataset, pool: Dataset? = nil, seed: UInt64, batchSize: Int = 256,
                damping: Double = OptimalBrainSurgeon.defaultRelativeDamping) {
        self.data = data
        self.pool = pool
        self.seed = seed
        self.batchSize = batchSize
        self.damping = damping
    }

    func unchecked(_ model: VGG, criterion: CriterionName, granularity: Granularity) throws -> [LayerScores] {
        if granularity == .layer {
            // Replacing a layer by the identity is not a deletion of weights, so only criteria
            // that do not assume one apply: the random baseline, weight norms and the oracle.
            switch criterion {
            case .random, .norm, .oracle, .oracleAbs: break
            default:
                throw PruningError.granularityNotApplicable(.layer, layer: "criterion '\(criterion)'",
                                                            reason: "layer groups are scored by random, l_p norms or the oracle")
            }
        }
        switch criterion {
        case .random:
            return try WeightCriteria.random(model, granularity: granularity, seed: seed)
        case let .norm(p):
            return try WeightCriteria.norms(model, granularity: granularity, p: p)
        case .activation:
            return try ActivationCriteria.scores(model, granularity: granularity, statistic: .mean, data: data, batchSize: batchSize)
        case .activationStd:
            return try ActivationCriteria.scores(model, granularity: granularity, statistic: .standardDeviation, data: data,
                                                 batchSize: batchSize)
        case .apoz:
            return try ActivationCriteria.scores(model, granularity: granularity, statistic: .apoz, data: data, batchSize: batchSize)
        case .taylor:
            return try ActivationCriteria.scores(model, granularity: granularity, statistic: .taylor, data: data, batchSize: batchSize)
        case .taylorBatch:
            return try ActivationCriteria.scores(model, granularity: granularity, statistic: .taylorBatch, data: data,
                                                 batchSize: batchSize)
        case .taylorSquared:
            return try TaylorSquaredCriterion.scores(model, granularity: granularity, data: data)
        case .taylorWeight:
            return try GradientCriteria.taylorWeight(model, granularity: granularity, data: data, batchSize: batchSize)
        case .oracle, .oracleAbs:
            return try OracleCriterion.scores(model, granularity: granularity, signed: criterion == .oracle, data: data,
                                              batchSize: batchSize)
        case .obs, .obsNoUpdate:
            return try ObsCriterion.scores(model, granularity: granularity, data: data, pool: pool, batchSize: batchSize,
                                           damping: damping).scores
        case .obd:
            return try ObdCriterion.scores(model, granularity: granularity, data: data, batchSize: batchSize)
        case .obdExact:
            return try ObdCriterion.scores(model, granularity: granularity, data: data, batchSize: batchSize,
                                           diagonal: .gaussNewton(.crossEntropy))
        }
    }
}
