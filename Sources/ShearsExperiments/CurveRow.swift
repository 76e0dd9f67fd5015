import Foundation
import ShearsPrune

/// One operating point of one grid cell: what `shears curve` appends after every pruning step.
public struct CurveRow: Equatable, Sendable {
    /// `criterion/granularity/schedule` (`CurveCell.method`), or `unpruned`.
    public var method: String
    /// Criterion name; `control` for a control row, `none` for the unpruned row.
    public var criterion: String
    /// Granularity name; `none` for control and unpruned rows.
    public var granularity: String
    /// A `ScheduleKind` raw value, or `unpruned`.
    public var schedule: String
    /// The cell's `CurveCell.seed`, which the unpruned row of the same seed shares.
    public var seed: UInt64
    /// 1-based step within the cell.
    public var step: Int
    /// Parameters after the step, biases, BatchNorm and folded offsets included (`CurveCost.parameters`).
    public var parameters: Int
    /// Dense multiply-accumulates per image after the step.
    public var macs: Int
    /// Forward FLOPs per image (2 x MACs); for masked granularities, those of non-zero weights.
    public var flops: Int
    /// `flops` over the unpruned model's, counted the same way; 1 for the unpruned row.
    public var flopsRatio: Double
    /// 1 − non-zero parameters / the unpruned model's non-zero parameters (negative when folded
    /// output offsets add more stored values than the removal saved).
    public var sparsity: Double
    /// Test top-1 accuracy (0...1) after the step's removal, before the fine-tuning that follows it (for `stepwise`,
    /// its last removal; a control is measured at the same point).
    public var accuracyBeforeFineTuning: Double
    /// Test top-1 accuracy (0...1) at the end of the step.
    public var accuracyAfterFineTuning: Double
    /// Mean test cross-entropy per image, in nats, at the end of the step.
    public var testLoss: Double
    /// Mean KL(p_unpruned ‖ p_pruned) of the softmax outputs over the test images.
    public var klDivergence: Double
    /// Share of test images where the pruned and unpruned models' top-1 classes agree.
    public var top1Agreement: Double
    /// Milliseconds per image at batch 1, averaged over the first `latencyImages` test images run one at a time.
    public var latencyBatch1: Double
    /// Milliseconds per image at batch 256: the fastest of three passes over the first 256 test images, after a
    /// warm-up.
    public var latencyBatch256: Double
    /// Seconds spent scoring and removing (for soft pruning: re-choosing and zeroing) and in
    /// SGD steps; their ratio is a dynamic method's overhead over plain training.
    public var pruneSeconds: Double
    /// Seconds in SGD steps, less the proximal and re-choosing time that `pruneSeconds` counts.
    public var fineTuneSeconds: Double
    /// Seconds from the step's start to the end of its measurement (for the unpruned row, the measurement alone).
    public var wallSeconds: Double

    /// The CSV's column names, in `fields` order.
    public static let header = ["method", "criterion", "granularity", "schedule", "seed", "step", "params", "macs", "flops",
                                "flops_ratio", "sparsity", "acc_before_ft", "acc_after_ft", "test_loss", "kl_divergence",
                                "top1_agreement", "latency_b1_ms", "latency_b256_ms", "prune_seconds", "fine_tune_seconds",
                                "wall_seconds"]

    /// Columns that depend on the machine's speed, not on the computation.
    public static let timingColumns: Set<String> = ["latency_b1_ms", "latency_b256_ms", "prune_seconds", "fine_tune_seconds",
                                                    "wall_seconds"]

    /// The values as CSV fields, in `header` order; doubles to 6 significant digits (`%.6g`).
    public var fields: [String] {
        [method, criterion, granularity, schedule, String(seed), String(step), String(parameters), String(macs), String(flops),
         format(flopsRatio), format(sparsity), format(accuracyBeforeFineTuning), format(accuracyAfterFineTuning),
         format(testLoss), format(klDivergence), format(top1Agreement), format(latencyBatch1), format(latencyBatch256),
         format(pruneSeconds), format(fineTuneSeconds), format(wallSeconds)]
    }

    /// The CSV line (no quoting is needed: no field can hold a comma, quote or newline).
    public var csvLine: String { fields.joined(separator: ",") }

    /// Parses a line written by `csvLine`; nil when it is not one.
    public init?(csvLine line: Substring) {
        let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard f.count == Self.header.count, let seed = UInt64(f[4]), let step = Int(f[5]), let parameters = Int(f[6]),
              let macs = Int(f[7]), let flops = Int(f[8]) else { return nil }
        let numbers = f[9...].compactMap(Double.init)
        guard numbers.count == 12 else { return nil }
        (method, criterion, granularity, schedule) = (f[0], f[1], f[2], f[3])
        (self.seed, self.step, self.parameters, self.macs, self.flops) = (seed, step, parameters, macs, flops)
        (flopsRatio, sparsity, accuracyBeforeFineTuning, accuracyAfterFineTuning, testLoss) =
            (numbers[0], numbers[1], numbers[2], numbers[3], numbers[4])
        (klDivergence, top1Agreement, latencyBatch1, latencyBatch256) = (numbers[5], numbers[6], numbers[7], numbers[8])
        (pruneSeconds, fineTuneSeconds, wallSeconds) = (numbers[9], numbers[10], numbers[11])
    }

    /// A row of `cell` at 1-based `step` with every measurement 0, to be filled in.
    public init(cell: CurveCell, step: Int) {
        (method, criterion, granularity, schedule, seed) = (cell.method, cell.criterion, cell.granularityName,
                                                           cell.schedule.rawValue, cell.seed)
        self.step = step
        (parameters, macs, flops, flopsRatio, sparsity) = (0, 0, 0, 0, 0)
        (accuracyBeforeFineTuning, accuracyAfterFineTuning, testLoss, klDivergence, top1Agreement) = (0, 0, 0, 0, 0)
        (latencyBatch1, latencyBatch256, pruneSeconds, fineTuneSeconds, wallSeconds) = (0, 0, 0, 0, 0)
    }

    /// A seed's unpruned model's row (schedule `unpruned`, step 0), written once per seed and
    /// run so that every figure has its reference accuracy and latency from the same run.
    public static func unpruned(seed: UInt64, accuracy: Double, loss: Double, cost: CurveCost, latency: (Double, Double),
                                seconds: Double) -> CurveRow {
        var row = CurveRow(cell: CurveCell(criterion: "none", granularity: .filter, schedule: .oneShot, seed: seed), step: 0)
        (row.method, row.granularity, row.schedule) = ("unpruned", "none", Self.unprunedSchedule)
        (row.parameters, row.macs, row.flops, row.flopsRatio) = (cost.parameters, cost.macs, cost.flops, 1)
        (row.accuracyBeforeFineTuning, row.accuracyAfterFineTuning, row.testLoss) = (accuracy, accuracy, loss)
        (row.klDivergence, row.top1Agreement) = (0, 1)
        (row.latencyBatch1, row.latencyBatch256, row.wallSeconds) = (latency.0, latency.1, seconds)
        return row
    }

    /// The schedule column that marks a seed's unpruned row (`unpruned`).
    public static let unprunedSchedule = "unpruned"

    /// Whether this is a seed's unpruned reference row (step 0).
    public var isUnpruned: Bool { schedule == Self.unprunedSchedule }

    /// Whether this row belongs to a control cell.
    public var isControl: Bool { criterion == CurveCell.controlCriterion }

    /// Whether this row belongs to `cell`.
    public func belongs(to cell: CurveCell) -> Bool {
        criterion == cell.criterion && granularity == cell.granularityName && schedule == cell.schedule.rawValue
            && seed == cell.seed
    }

    private func format(_ value: Double) -> String { String(format: "%.6g", value) }
}
