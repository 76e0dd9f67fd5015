import ShearsNet
import ShearsPrune

/// VGG in curves: every criterion, granularity and schedule, planned by `pruneToFlops`.
extension VGG: CurveModel {
    public static func initial(_ configuration: CurveConfiguration, seed: UInt64) throws -> VGG {
        VGG(VGGConfiguration.preset(configuration.model)!, seed: seed)
    }

    public static var decaysEveryParameter: Bool { false }

    public func curveCost(counting granularity: Granularity) -> CurveCost {
        let cost = ModelCost(self)
        return CurveCost(parameters: cost.parameters, macs: cost.macs, flops: cost.flops(counting: granularity),
                         nonZeroParameters: cost.nonZeroParameters)
    }

    public func prune(toFraction fraction: Double, of base: VGG, cell: CurveCell, step: Int,
                      configuration: CurveConfiguration, data: CalibrationData) throws {
        let criterion = try CriterionName(parsing: cell.criterion)
        try pruneToFlops(self, fraction: fraction, of: base, criterion: criterion, granularity: cell.granularity,
                         ranking: configuration.ranking, compensation: Self.compensation(criterion, configuration),
                         engine: Self.engine(cell, step: step, configuration: configuration, data: data),
                         minLayerKeep: configuration.minLayerKeep, rounding: WidthRounding(multiple: configuration.roundTo))
    }

    public func zeroLowest(toFraction fraction: Double, of base: VGG, cell: CurveCell, step: Int,
                           configuration: CurveConfiguration, data: CalibrationData) throws {
        let target = Int((fraction * Double(ModelCost(base).flops(counting: cell.granularity))).rounded(.down))
        let current = ModelCost(self).flops(counting: cell.granularity)
        let engine = Self.engine(cell, step: step, configuration: configuration, data: data)
        let scores = try engine.scores(self, criterion: try CriterionName(parsing: cell.criterion), granularity: cell.granularity)
        let plan = try Planner.plan(scores, granularity: cell.granularity, macsToSave: (current - target + 1) / 2,
                                    ranking: configuration.ranking,
                                    floors: try Planner.floors(base, granularity: cell.granularity, minLayerKeep: configuration.minLayerKeep))
        try Surgeon.zero(plan, in: self)
    }

    public func proximalStep(strength: Double, granularity: Granularity, learningRate: Double) throws {
        try GroupLasso(strength: strength, granularity: granularity).proximalStep(self, learningRate: learningRate)
    }

    public func removeZeroedGroups(granularity: Granularity) throws {
        try Surgeon.apply(try GroupLasso.zeroGroups(self, granularity: granularity), to: self)
    }

    /// The scoring engine of one curve step: the cell's scoring subset and calibration pool.
    static func engine(_ cell: CurveCell, step: Int, configuration: CurveConfiguration, data: CalibrationData) -> CriterionEngine {
        CriterionEngine(data: data.scoring, pool: data.pool, seed: CalibrationData.seed(cell, step: step),
                        damping: configuration.obsDamping)
    }

    /// OBS is defined with its weight update, so `obs` cells always apply it; other
    /// criteria use the configured compensation.
    static func compensation(_ criterion: CriterionName, _ configuration: CurveConfiguration) -> Compensation {
        criterion == .obs ? .obs : configuration.compensation
    }
}
