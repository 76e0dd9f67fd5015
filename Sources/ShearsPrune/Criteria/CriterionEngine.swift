import ShearsNet

/// Scores a model's groups with any criterion by name.
public struct CriterionEngine {
    /// Images the data-driven criteria are computed on (e.g. the first N test images).
    public var data: ImageBatchSource
    public var seed: UInt64
    public var batchSize: Int

    public init(data: ImageBatchSource, seed: UInt64, batchSize: Int = 256) {
        self.data = data
        self.seed = seed
        self.batchSize = batchSize
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
        case .taylorWeight:
            return try GradientCriteria.taylorWeight(model, granularity: granularity, data: data, batchSize: batchSize)
        case .oracle, .oracleAbs:
            return try OracleCriterion.scores(model, granularity: granularity, signed: criterion == .oracle, data: data,
                                              batchSize: batchSize)
        case .obs:
            return try ObsCriterion.scores(model, granularity: granularity, data: data, batchSize: batchSize).scores
        case .obd:
            return try ObdCriterion.scores(model, granularity: granularity, data: data, batchSize: batchSize)
        case .obdExact:
            return try ObdCriterion.scores(model, granularity: granularity, data: data, batchSize: batchSize,
                                           diagonal: .gaussNewton(.crossEntropy))
        }
    }
}
