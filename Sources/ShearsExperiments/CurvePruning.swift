import ShearsNet
import ShearsPrune

/// One pruning step of a curve: remove groups until the model's FLOPs reach a target.
enum CurvePruning {
    /// The scoring engine of one curve step: the cell's scoring subset and calibration pool,
    /// seeded by cell and step (the random criterion draws anew at every step).
    static func engine(_ cell: CurveCell, step: Int, configuration: CurveConfiguration, data: CalibrationData) -> CriterionEngine {
        CriterionEngine(data: data.scoring, pool: data.pool, seed: cell.seed &* 7919 &+ UInt64(step),
                        damping: configuration.obsDamping)
    }

    /// One curve step's pruning: the cell's criterion.
    static func prune(_ model: VGG, toFraction fraction: Double, of base: VGG, cell: CurveCell, step: Int,
                      configuration: CurveConfiguration, data: CalibrationData) throws {
        let criterion = try CriterionName(parsing: cell.criterion)
        try pruneToFlops(model, fraction: fraction, of: base, criterion: criterion, granularity: cell.granularity,
                         ranking: configuration.ranking, compensation: compensation(criterion, configuration),
                         engine: engine(cell, step: step, configuration: configuration, data: data),
                         minLayerKeep: configuration.minLayerKeep)
    }

    /// OBS is defined with its weight update, so `obs` cells always apply it; other
    /// criteria use the configured compensation.
    static func compensation(_ criterion: CriterionName, _ configuration: CurveConfiguration) -> Compensation {
        criterion == .obs ? .obs : configuration.compensation
    }

    /// Soft pruning: zeroes the weights of the lowest groups whose estimated saving reaches
    /// the FLOPs target, without removing anything (the units keep training and may return).
    static func zeroLowest(_ model: VGG, toFraction fraction: Double, of base: VGG, cell: CurveCell, step: Int,
                           configuration: CurveConfiguration, data: CalibrationData) throws {
        let target = Int((fraction * Double(ModelCost(base).flops(counting: cell.granularity))).rounded(.down))
        let current = ModelCost(model).flops(counting: cell.granularity)
        let engine = engine(cell, step: step, configuration: configuration, data: data)
        let scores = try engine.scores(model, criterion: try CriterionName(parsing: cell.criterion), granularity: cell.granularity)
        let plan = try Planner.plan(scores, granularity: cell.granularity, macsToSave: (current - target + 1) / 2,
                                    ranking: configuration.ranking,
                                    floors: try Planner.floors(base, granularity: cell.granularity, minLayerKeep: configuration.minLayerKeep))
        try Surgeon.zero(plan, in: model)
    }
}

/// The calibration images of one curve seed: its own seeded ordering of the calibration
/// split, whose first `scoringSamples` images score and whose whole serves layer Hessians.
struct CalibrationData {
    let scoring: Dataset
    let pool: Dataset

    init(calibration: Dataset, seed: UInt64, scoringSamples: Int) {
        pool = calibration.seededSubset(calibration.count, seed: seed)
        scoring = pool.prefix(scoringSamples)
    }
}
