import ShearsNet
import ShearsPrune

/// Graph networks in curves: channels removed through dependency groups (`filter`
/// granularity) by a `GroupCriterion`, planned by `GroupPruner.prune(_:toFlops:…)`, in the
/// one-shot, iterative, gradual and stepwise schedules, the consumers repaired by the configured
/// compensation (OBS's update always for `obs`).
extension GraphNetwork: CurveModel {
    /// Graph models a curve can train by name.
    public static let curvePresets: [String: GraphSpecification] = ["resnet-s": ResNet.small]

    public static func initial(_ configuration: CurveConfiguration, seed: UInt64) throws -> GraphNetwork {
        try GraphNetwork(curvePresets[configuration.model]!, seed: seed)
    }

    public static var decaysEveryParameter: Bool { true }

    public func curveCost(counting granularity: Granularity) -> CurveCost {
        let macs = (try? specification.macs()) ?? 0
        let offsets = nodes.compactMap { ($0.layer as? Conv2D)?.outputOffset }
        let nonZero = (parameters.map(\.value) + offsets).reduce(0) { total, tensor in
            total + tensor.values.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
        }
        return CurveCost(parameters: parameterCountWithOffsets, macs: macs, flops: 2 * macs, nonZeroParameters: nonZero)
    }

    public func prune(toFraction fraction: Double, of base: GraphNetwork, cell: CurveCell, step: Int,
                      configuration: CurveConfiguration, data: CalibrationData) throws {
        guard let criterion = GroupCriteria.named(cell.criterion, seed: CalibrationData.seed(cell, step: step), pool: data.pool,
                                                  obsDamping: configuration.obsDamping) else {
            throw PruningError.unknownCriterion(cell.criterion, valid: GroupCriteria.names)
        }
        let target = Int((fraction * Double(2 * (try base.specification.macs()))).rounded(.down))
        try GroupPruner.prune(self, toFlops: target, criterion: criterion, ranking: configuration.ranking,
                              floors: try GroupPruner.floors(base, minimumKeep: configuration.minLayerKeep),
                              calibration: data.scoring, compensation: Self.compensation(criterion, configuration),
                              pool: data.pool, obsDamping: configuration.obsDamping)
    }

    public func zeroLowest(toFraction fraction: Double, of base: GraphNetwork, cell: CurveCell, step: Int,
                           configuration: CurveConfiguration, data: CalibrationData) throws {
        throw Self.vggOnly("the soft schedule")
    }

    public func proximalStep(strength: Double, granularity: Granularity, learningRate: Double) throws {
        throw Self.vggOnly("the group-lasso schedule")
    }

    public func removeZeroedGroups(granularity: Granularity) throws {
        throw Self.vggOnly("the group-lasso schedule")
    }

    /// A criterion defined with a repair (`obs`) always applies it; the others use the configured compensation.
    static func compensation(_ criterion: any GroupCriterion, _ configuration: CurveConfiguration) -> Compensation {
        criterion.definingCompensation == .none ? configuration.compensation : criterion.definingCompensation
    }

    /// What `CurveConfiguration.validate` refuses before a graph run starts.
    static func vggOnly(_ what: String) -> PruningError {
        .granularityNotApplicable(.filter, layer: "a graph network", reason: "\(what) runs on VGG models only")
    }
}
