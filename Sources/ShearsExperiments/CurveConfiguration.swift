import Foundation
import ShearsPrune

/// How a pruning schedule reaches its operating points.
public enum ScheduleKind: String, Codable, Sendable, CaseIterable {
    /// Each FLOPs target separately from the unpruned model: prune once, then fine-tune.
    case oneShot = "one-shot"
    /// Molchanov et al. 2017: from each operating point to the next, score, remove the lowest
    /// groups until the FLOPs target, fine-tune; the model carries over.
    case iterative
    /// Zhu & Gupta 2017: the FLOPs fraction follows the cubic schedule
    /// `f_i = f_n + (1 − f_n)(1 − i/n)³` over the targets' count of events, down to the
    /// smallest target, pruning and fine-tuning at each event.
    case gradual
    /// Penalty-based: train `fineTuneSteps` steps with group LASSO (LASSO on element groups)
    /// and a proximal step at each strength of `penaltyStrengths` in turn (continuation),
    /// remove the groups that became exactly zero, then fine-tune `fineTuneSteps` without
    /// the penalty. The criterion is the penalty itself; FLOPs are where the path lands.
    case groupLasso = "group-lasso"
    /// Molchanov et al. 2017's own procedure (§3): from each operating point to the next,
    /// remove a small share of the FLOPs at a time (`flopsPerStep`, a few units), fine-tuning
    /// `stepFineTuneSteps` SGD steps after each removal; the model carries over. Rows are
    /// measured at the operating points, after the fine-tuning of the removal that reached it.
    case stepwise
    /// Dynamic (run-time) soft filter pruning (He et al. 2018), per FLOPs target from the
    /// unpruned model: the lowest groups by the cell's criterion are zeroed but keep training,
    /// and are chosen again every `fineTuneSteps / 5` steps, so a zeroed unit can come back;
    /// after `fineTuneSteps` steps the final choice is removed.
    case soft

    /// Whether each operating point continues from the previous one's model.
    public var isChained: Bool { self == .iterative || self == .gradual || self == .groupLasso || self == .stepwise }
}

/// Everything a `shears curve` run does: the grid (criteria x granularities x schedules x
/// seeds), the operating points and the fine-tuning budget. Decoded from JSON with every key
/// optional (defaults below) and unknown keys refused.
public struct CurveConfiguration: Codable, Equatable, Sendable {
    /// Model to train when `checkpoint` is nil: a VGG preset (`vgg-s`) or `resnet-s`, each as its
    /// graph (`GraphNetwork.curvePresets`), pruned through its dependency groups; it also chooses
    /// the weight decay of the recipe.
    public var model = "vgg-s"
    /// Trained checkpoint every seed starts from; nil trains one base model per seed
    /// (`trainEpochs`, initialised and shuffled by that seed).
    public var checkpoint: String?
    /// Epochs of base training per seed when `checkpoint` is nil (at least 1 then), by the reference recipe: SGD 0.01,
    /// momentum 0.9, weight decay 5e-4, batch 64.
    public var trainEpochs = 1
    /// Criterion names, without repeats: `GroupCriteria.names`
    /// at filter, channel and neuron (those `MaskedCriteria.named` takes at element, kernel and shape, those
    /// `GraphLayerPruning.criterion` takes at layer).
    /// The group-lasso schedule ignores them: its penalty is its criterion.
    public var criteria = ["random", "l2", "activation", "taylor", "obd", "obs"]
    /// What a group is, one set of cells each: never `layer`, only `filter`, `shape`, `element` or `kernel` for a
    /// graph model, and no masked granularity (nor shape on a graph) with the `soft` schedule.
    public var granularities: [Granularity] = [.filter]
    /// How each cell walks the operating points, without repeats; a graph model takes `one-shot`, `iterative`,
    /// `gradual` and `stepwise`.
    public var schedules: [ScheduleKind] = [.iterative]
    /// Each seed trains its own base model (unless `checkpoint` is set) and draws its own scoring images and batch
    /// orders; without repeats.
    public var seeds: [UInt64] = [1]
    /// Operating points as fractions of the unpruned model's FLOPs, descending, in (0, 1).
    public var flopsTargets = [0.75, 0.5, 0.35, 0.25, 0.15, 0.1]
    /// SGD steps of fine-tuning after each pruning step (0 = none).
    public var fineTuneSteps = 100
    /// Learning rate at the start of each fine-tuning phase, falling to 0 by a cosine (SGD, momentum 0.9, weight decay
    /// 5e-4); > 0.
    public var fineTuneLearningRate = 0.01
    /// Images per SGD step of fine-tuning, 1...1,024; base training keeps the recipe's 64.
    public var batchSize = 64
    /// Calibration images the data-driven criteria score on: each seed's own seeded draw
    /// from the calibration split (the last 5,000 training images), never test images.
    public var scoringSamples = 256
    /// Every layer keeps at least this share of the unpruned model's groups (and at least
    /// one), so that no criterion collapses a layer.
    public var minLayerKeep = 0.0
    /// δ of OBS's relative damping λ = δ · mean(diag H) (0 = the smallest λ that factors H).
    public var obsDamping = OptimalBrainSurgeon.defaultRelativeDamping
    /// Kept widths are rounded up to a multiple of this at filter, channel and neuron
    /// granularity (Torch-Pruning's `round_to`; 1 = no rounding), for GEMM-friendly shapes.
    public var roundTo = 1
    /// Hold the calibration split out of base training and fine-tuning.
    public var holdOutCalibration = false
    /// Share of the original FLOPs each removal of the `stepwise` schedule takes.
    public var flopsPerStep = 0.02
    /// SGD steps of fine-tuning after each removal of the `stepwise` schedule.
    public var stepFineTuneSteps = 10
    /// How different layers' scores compete: `global` (each layer l2-normalised first) or `per-layer`; `hessian` is
    /// refused, since it allocates shares of groups, not FLOPs.
    public var ranking: Ranking = .global
    /// How the consumer of removed groups is repaired (`none`, `obs`, `least-squares`); `obs` cells apply OBS's update
    /// whatever this says.
    public var compensation: Compensation = .none
    /// Test images accuracy, loss and output deviation are measured on (0 = all 10,000).
    public var testLimit = 0
    /// Training images used for training and fine-tuning (0 = all 60,000).
    public var trainLimit = 0
    /// Single images timed for the batch-1 latency.
    public var latencyImages = 64
    /// Penalty strengths λ of the `group-lasso` schedule, ascending, one operating point each.
    public var penaltyStrengths = [0.002, 0.004, 0.008, 0.016, 0.032, 0.064]

    /// Every field at the default written beside it; a configuration file without `preset` starts from `quick` instead.
    public init() {}

    /// The README's main job: a brief training and a six-criterion iterative filter curve at
    /// five operating points, within 15 minutes on the slowest 2-core machine measured
    /// (`docs/results.md`).
    public static var quick: CurveConfiguration {
        var configuration = CurveConfiguration()
        configuration.trainEpochs = 2
        configuration.flopsTargets = [0.75, 0.5, 0.25, 0.15, 0.1]
        configuration.fineTuneSteps = 80
        configuration.testLimit = 2500
        configuration.minLayerKeep = 0.1
        return configuration
    }

    /// The full comparison of `docs/results.md`: every criterion, three seeds, eleven
    /// operating points from 90% to 5% of the FLOPs, hours on 2 cores (resumable).
    public static var full: CurveConfiguration {
        var configuration = CurveConfiguration()
        configuration.trainEpochs = 10
        configuration.criteria = ["random", "l1", "l2", "activation", "activation-std", "apoz", "taylor", "taylor-batch",
                                  "taylor-sq", "taylor-weight", "obd", "obs"]
        configuration.seeds = [1, 2, 3]
        configuration.flopsTargets = [0.9, 0.75, 0.6, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05]
        configuration.fineTuneSteps = 150
        configuration.scoringSamples = 512
        configuration.minLayerKeep = 0.1
        return configuration
    }

    /// Molchanov et al. 2017's fine-grained iterative procedure beside the 11-point one:
    /// five criteria, the `stepwise` schedule (2% of the FLOPs per removal, 10 SGD steps
    /// after each), three seeds, the same operating points.
    public static var stepwise: CurveConfiguration {
        var configuration = full
        configuration.criteria = ["random", "l2", "taylor", "taylor-sq", "obd"]
        configuration.schedules = [.stepwise]
        return configuration
    }

    /// The configurations a file's `preset` key and `shears curve --preset` name: `quick`, `full` and `stepwise`.
    public static let presets: [String: CurveConfiguration] = ["quick": quick, "full": full, "stepwise": stepwise]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, checkpoint, trainEpochs, criteria, granularities, schedules, seeds, flopsTargets, fineTuneSteps,
             fineTuneLearningRate, batchSize, scoringSamples, ranking, compensation, testLimit, trainLimit, latencyImages,
             penaltyStrengths, minLayerKeep, obsDamping, holdOutCalibration, flopsPerStep, stepFineTuneSteps, roundTo
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CurveConfiguration()
        model = try c.decodeIfPresent(String.self, forKey: .model) ?? d.model
        checkpoint = try c.decodeIfPresent(String.self, forKey: .checkpoint)
        trainEpochs = try c.decodeIfPresent(Int.self, forKey: .trainEpochs) ?? d.trainEpochs
        criteria = try c.decodeIfPresent([String].self, forKey: .criteria) ?? d.criteria
        granularities = try c.decodeIfPresent([Granularity].self, forKey: .granularities) ?? d.granularities
        schedules = try c.decodeIfPresent([ScheduleKind].self, forKey: .schedules) ?? d.schedules
        seeds = try c.decodeIfPresent([UInt64].self, forKey: .seeds) ?? d.seeds
        flopsTargets = try c.decodeIfPresent([Double].self, forKey: .flopsTargets) ?? d.flopsTargets
        fineTuneSteps = try c.decodeIfPresent(Int.self, forKey: .fineTuneSteps) ?? d.fineTuneSteps
        fineTuneLearningRate = try c.decodeIfPresent(Double.self, forKey: .fineTuneLearningRate) ?? d.fineTuneLearningRate
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? d.batchSize
        scoringSamples = try c.decodeIfPresent(Int.self, forKey: .scoringSamples) ?? d.scoringSamples
        ranking = try c.decodeIfPresent(Ranking.self, forKey: .ranking) ?? d.ranking
        compensation = try c.decodeIfPresent(Compensation.self, forKey: .compensation) ?? d.compensation
        testLimit = try c.decodeIfPresent(Int.self, forKey: .testLimit) ?? d.testLimit
        trainLimit = try c.decodeIfPresent(Int.self, forKey: .trainLimit) ?? d.trainLimit
        latencyImages = try c.decodeIfPresent(Int.self, forKey: .latencyImages) ?? d.latencyImages
        penaltyStrengths = try c.decodeIfPresent([Double].self, forKey: .penaltyStrengths) ?? d.penaltyStrengths
        minLayerKeep = try c.decodeIfPresent(Double.self, forKey: .minLayerKeep) ?? d.minLayerKeep
        obsDamping = try c.decodeIfPresent(Double.self, forKey: .obsDamping) ?? d.obsDamping
        holdOutCalibration = try c.decodeIfPresent(Bool.self, forKey: .holdOutCalibration) ?? d.holdOutCalibration
        flopsPerStep = try c.decodeIfPresent(Double.self, forKey: .flopsPerStep) ?? d.flopsPerStep
        stepFineTuneSteps = try c.decodeIfPresent(Int.self, forKey: .stepFineTuneSteps) ?? d.stepFineTuneSteps
        roundTo = try c.decodeIfPresent(Int.self, forKey: .roundTo) ?? d.roundTo
    }
}
