import ShearsNet
import ShearsPrune

/// Graph networks in curves: channels removed through dependency groups (`filter`, `channel`
/// and `neuron` granularity: `ChannelGroup.belongs(to:)`) by a `GroupCriterion`, planned by
/// `GroupPruner.prune(_:toFlops:…)`, in every schedule: soft pruning zeroes channels with
/// `GroupPruner.zeroLowest`, group LASSO (filter and neuron) penalises each channel's rows over
/// all of its group's producers (`GroupLasso+Groups.swift`). Removal
/// repairs the consumers by the configured compensation (OBS's update always for `obs`).
/// Element and kernel cells mask weights by a `MaskedCriterion` (`GraphMaskedPruning`, global
/// ranking, FLOPs counted as 2 x non-zero MACs), and shape cells remove conv columns by one
/// (`GraphShapePruning`, global ranking, OBS's update for `obs`, FLOPs counted with each conv's
/// kept columns), and layer cells replace shape-preserving conv + BatchNorm + ReLU chains by
/// the identity (`GraphLayerPruning`), in the one-shot, iterative, gradual and stepwise schedules.
extension GraphNetwork: CurveModel {
    /// Models a curve can train by name: resnet-s and the VGG presets, each as its graph
    /// (`VGGConfiguration.graph`: the VGG's layers, initialisation order and tensor names).
    public static let curvePresets: [String: GraphSpecification] = VGGConfiguration.presetNames.reduce(into: ["resnet-s": ResNet.small]) {
        $0[$1] = VGGConfiguration.preset($1)!.graph
    }

    /// The graphs a checkpoint of `model` may have, widths aside (`GraphSpecification.hasLayout`):
    /// the preset's and, for a VGG preset, the same built with BatchNorm (`shears train --batch-norm`).
    public static func curveLayouts(of model: String) -> [GraphSpecification] {
        guard var configuration = VGGConfiguration.preset(model) else { return curvePresets[model].map { [$0] } ?? [] }
        let plain = configuration.graph
        configuration.batchNorm = true
        return [plain, configuration.graph]
    }

    public static func initial(_ configuration: CurveConfiguration, seed: UInt64) throws -> GraphNetwork {
        try GraphNetwork(curvePresets[configuration.model]!, seed: seed)
    }

    /// resnet-s's reference run decays every parameter (PyTorch's `SGD(model.parameters())`);
    /// the VGG recipe decays the weights only.
    public static func decaysEveryParameter(_ configuration: CurveConfiguration) -> Bool {
        VGGConfiguration.preset(configuration.model) == nil
    }

    public func curveCost(counting granularity: Granularity) -> CurveCost {
        let macs = self.macs
        let offsets = nodes.compactMap { ($0.layer as? Conv2D)?.outputOffset }
        let nonZero = (parameters.map(\.value) + offsets).reduce(0) { total, tensor in
            total + tensor.values.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
        }
        return CurveCost(parameters: parameterCountWithOffsets, macs: macs,
                         flops: granularity.isMasked ? 2 * nonZeroMacs : 2 * macs, nonZeroParameters: nonZero)
    }

    public func prune(toFraction fraction: Double, of base: GraphNetwork, cell: CurveCell, step: Int,
                      configuration: CurveConfiguration, data: CalibrationData) throws {
        if cell.granularity.isMasked {
            let target = Int((fraction * Double(base.curveCost(counting: cell.granularity).flops)).rounded(.down))
            let criterion = try MaskedCriteria.named(cell.criterion, granularity: cell.granularity,
                                                     seed: CalibrationData.seed(cell, step: step), pool: data.pool,
                                                     obsDamping: configuration.obsDamping)
            try GraphMaskedPruning.prune(self, toFlops: target, granularity: cell.granularity, criterion: criterion,
                                         calibration: data.scoring, minimumKeep: configuration.minLayerKeep)
            return
        }
        if cell.granularity == .layer {
            try GraphLayerPruning.prune(self, toFlops: try Self.target(fraction, of: base), criterion: cell.criterion,
                                        seed: CalibrationData.seed(cell, step: step), calibration: data.scoring)
            return
        }
        if cell.granularity == .shape {
            let criterion = try MaskedCriteria.named(cell.criterion, granularity: .shape, seed: CalibrationData.seed(cell, step: step),
                                                     pool: data.pool, obsDamping: configuration.obsDamping)
            try GraphShapePruning.prune(self, toFlops: try Self.target(fraction, of: base), criterion: criterion,
                                        calibration: data.scoring, minimumKeep: configuration.minLayerKeep)
            return
        }
        let criterion = try Self.criterion(cell, step: step, configuration: configuration, data: data)
        try GroupPruner.prune(self, toFlops: try Self.target(fraction, of: base), criterion: criterion,
                              granularity: cell.granularity, ranking: configuration.ranking,
                              floors: try GroupPruner.floors(base, minimumKeep: configuration.minLayerKeep),
                              calibration: data.scoring, compensation: Self.compensation(criterion, configuration),
                              pool: data.pool, obsDamping: configuration.obsDamping,
                              rounding: WidthRounding(multiple: configuration.roundTo))
    }

    public func zeroLowest(toFraction fraction: Double, of base: GraphNetwork, cell: CurveCell, step: Int,
                           configuration: CurveConfiguration, data: CalibrationData) throws {
        try GroupPruner.zeroLowest(self, toFlops: try Self.target(fraction, of: base),
                                   criterion: try Self.criterion(cell, step: step, configuration: configuration, data: data),
                                   granularity: cell.granularity, ranking: configuration.ranking,
                                   floors: try GroupPruner.floors(base, minimumKeep: configuration.minLayerKeep),
                                   calibration: data.scoring)
    }

    public func proximalStep(strength: Double, granularity: Granularity, learningRate: Double) throws {
        try GroupLasso(strength: strength, granularity: granularity).proximalStep(self, learningRate: learningRate)
    }

    public func removeZeroedGroups(granularity: Granularity) throws {
        try GroupLasso.removeZeroGroups(self, granularity: granularity)
    }

    /// The cell's group criterion, seeded by cell and step; OBS's Hessians may draw on the seed's calibration pool.
    static func criterion(_ cell: CurveCell, step: Int, configuration: CurveConfiguration,
                          data: CalibrationData) throws -> any GroupCriterion {
        guard let criterion = GroupCriteria.named(cell.criterion, seed: CalibrationData.seed(cell, step: step),
                                                  granularity: cell.granularity, pool: data.pool,
                                                  obsDamping: configuration.obsDamping) else {
            throw PruningError.unknownCriterion(cell.criterion, valid: GroupCriteria.names)
        }
        return criterion
    }

    /// A criterion defined with a repair (`obs`) always applies it; the others use the configured compensation.
    static func compensation(_ criterion: any GroupCriterion, _ configuration: CurveConfiguration) -> Compensation {
        criterion.definingCompensation == .none ? configuration.compensation : criterion.definingCompensation
    }

    /// `fraction` of `base`'s FLOPs (2 x MACs, `GraphNetwork.macs`), rounded down.
    static func target(_ fraction: Double, of base: GraphNetwork) throws -> Int {
        Int((fraction * Double(2 * base.macs)).rounded(.down))
    }
}
