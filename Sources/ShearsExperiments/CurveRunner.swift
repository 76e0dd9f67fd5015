import Foundation
import ShearsNet
import ShearsPrune

/// Where a curve run is, for a progress line.
public struct CurveProgress: Sendable {
    /// 1-based cell of the shard and the shard's cell count.
    public let cell: Int
    /// The shard's cell count.
    public let cells: Int
    /// The running cell's `criterion/granularity/schedule`.
    public let method: String
    /// The running cell's seed.
    public let seed: UInt64
    /// 1-based operating point of the cell and its count.
    public let step: Int
    /// Operating points of the cell.
    public let steps: Int
    /// `prune`, `fine-tune`, `penalised` (group-lasso training), `soft-pruned training` or `measure`; base-model
    /// training reports through `CurveRunner.trainingProgress` instead.
    public let phase: String
    /// Mean training cross-entropy over the current epoch of a training phase so far; nil while pruning or measuring.
    public let loss: Double?
    /// Training images per second over that epoch so far; nil while pruning or measuring.
    public let imagesPerSecond: Double?
    /// Extrapolated from this run's seconds per completed step.
    public let secondsRemaining: Double?
}

/// A step that failed, with where it was.
public struct CurveStepError: Error, CustomStringConvertible {
    /// The cell whose step failed.
    public let cell: CurveCell
    /// The failed operating point, 1-based.
    public let step: Int
    /// The error the step threw.
    public let underlying: Error

    public var description: String { "\(cell.method) seed \(cell.seed), step \(step): \(underlying)" }
}

/// Runs a shard of a curve grid, appending one CSV row per operating point and resuming
/// where an earlier run of the same configuration stopped.
///
/// Every seed has its own base model (trained from that seed, or the configured checkpoint)
/// and its own scoring subset, a seeded draw from the calibration split (the last 5,000
/// training images; `Dataset.calibrationSplit`), so seeds vary both what is pruned and what
/// it is scored on; no test image decides what is removed or how the rest is refit.
/// Each step: score with the cell's criterion, remove the lowest groups until the FLOPs
/// target (re-scoring while the estimate falls short), measure test accuracy, fine-tune
/// `fineTuneSteps` SGD steps (momentum 0.9, weight decay 5e-4, a fresh optimizer, batches in
/// an order seeded by cell and step), measure accuracy, loss, output deviation from the
/// unpruned model and latency. Each schedule and seed also has a control cell that prunes
/// nothing but fine-tunes exactly as the pruning cells do. Chained schedules (iterative,
/// gradual, stepwise) save the model, with the step's row in its metadata, *before*
/// appending the row: a kill between the two is healed on restart by appending the saved
/// row, so no row is lost or doubled.
///
/// `Model` is the network family: `GraphNetwork` (vgg-s, resnet-s or any graph), whose steps
/// remove channels of dependency groups, mask weights, remove conv columns or replace layers
/// by the identity, with the weight decay its model's reference recipe uses.
public final class CurveRunner<Model: CurveModel> {
    /// The grid, operating points and budgets.
    public let configuration: CurveConfiguration
    /// The files rows are appended to and resumed from.
    public let store: CurveStore
    /// The share of the grid's cells this runner takes.
    public let shard: Shard
    /// Training and fine-tuning images: the training file (less the calibration split when
    /// `holdOutCalibration`), limited to `trainLimit`.
    let train: Dataset
    /// The calibration split of the whole training file.
    let calibration: Dataset
    let test: Dataset
    /// Called on the running thread at each phase of a step and every 10 fine-tuning SGD steps; does nothing by
    /// default.
    public var progress: (CurveProgress) -> Void = { _ in }
    /// Called after every SGD step of base-model training; does nothing by default.
    public var trainingProgress: (TrainingProgress) -> Void = { _ in }

    static var stepKey: String { "shears.curve.step" }
    static var rowKey: String { "shears.curve.row" }

    /// - Parameters:
    ///   - configuration: the grid, operating points and budgets.
    ///   - store: the CSV, manifest and state directory rows are appended to and resumed from.
    ///   - shard: the share of the grid's cells this run takes.
    ///   - train: the whole training file; its calibration split is taken before any limit.
    ///   - test: reported on only.
    public init(configuration: CurveConfiguration, store: CurveStore, shard: Shard, train: Dataset, test: Dataset) {
        self.configuration = configuration
        self.store = store
        self.shard = shard
        calibration = train.calibrationSplit
        let training = configuration.holdOutCalibration ? train.excludingCalibration() : train
        self.train = configuration.trainLimit > 0 ? training.prefix(configuration.trainLimit) : training
        self.test = configuration.testLimit > 0 ? test.prefix(configuration.testLimit) : test
    }

    /// The unpruned model of `seed`: the configured checkpoint, the base saved by an earlier
    /// run, or one initialised and trained now from `seed` with the reference recipe (SGD 0.01,
    /// momentum 0.9, wd 5e-4, batch 64, batch order seeded by `seed`).
    public func baseModel(seed: UInt64) throws -> Model {
        if let checkpoint = configuration.checkpoint { return try Model.load(from: checkpoint).model }
        let path = store.baseModelPath(seed: seed)
        if FileManager.default.fileExists(atPath: path) { return try Model.load(from: path).model }
        var model = try Model.initial(configuration, seed: seed)
        let optimizer = SGD(learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4,
                            decaysEveryParameter: Model.decaysEveryParameter(configuration))
        let trainer = Trainer(batchSize: 64, seed: seed)
        let recipe = "\(configuration.model), \(configuration.trainEpochs) epochs, seed \(seed), reference recipe"
        // Killed mid-training, the next run resumes from the last finished epoch (bit-identically).
        let checkpoint = EpochCheckpoint(path: path + ".resume",
                                         recipe: ["shears.curve.base": recipe, "train_images": "\(train.count)"])
        var history: [String] = []
        if let state = try checkpoint.resume(Model.self, optimizer: optimizer) { (model, history) = (state.model, state.history) }
        for epoch in history.count..<configuration.trainEpochs {
            _ = try trainer.trainEpoch(model, optimizer: optimizer, data: train, epoch: epoch, epochs: configuration.trainEpochs,
                                       progress: trainingProgress)
            history.append("{\"epoch\":\(epoch + 1)}")
            try checkpoint.save(model: model, optimizer: optimizer, epochsDone: epoch + 1, history: history)
        }
        try model.save(to: path, metadata: ["shears.curve.base": recipe])
        try checkpoint.remove()
        return model
    }

    /// What every cell of one seed shares: its base model, the base's test outputs, and its
    /// calibration images.
    struct SeedContext {
        let seed: UInt64
        let base: Model
        let reference: ModelOutputs
        let calibration: CalibrationData
    }

    /// The seed's base model and reference outputs, writing its unpruned row if missing.
    private func prepare(seed: UInt64, rows: inout [CurveRow]) throws -> SeedContext {
        let base = try baseModel(seed: seed)
        let measured = Date()
        let reference = ModelOutputs(base, on: test)
        if !rows.contains(where: { $0.isUnpruned && $0.seed == seed }) {
            let latency = Latency.measure(base, data: test, singles: configuration.latencyImages)
            let row = CurveRow.unpruned(seed: seed, accuracy: reference.evaluation.accuracy, loss: reference.evaluation.loss,
                                        cost: base.curveCost(counting: .filter), latency: latency, seconds: Date().timeIntervalSince(measured))
            try store.append(row)
            rows.append(row)
        }
        return SeedContext(seed: seed, base: base, reference: reference,
                           calibration: CalibrationData(calibration: calibration, seed: seed,
                                                        scoringSamples: configuration.scoringSamples))
    }

    /// Runs every cell of the shard that the CSV does not complete yet, in grid order, resuming chained cells from
    /// their saved models. Throws `CurveStepError` for a failed step and `CurveStoreError` for files that do not fit
    /// the run.
    public func run() throws {
        let cells = configuration.cells(of: shard)
        var rows = try store.rows()
        var tally = Tally(total: cells.reduce(0) { $0 + configuration.operatingPoints($1.schedule).count },
                          completed: rows.filter { row in cells.contains { row.belongs(to: $0) } }.count)
        var context: SeedContext?
        for (index, cell) in cells.enumerated() {
            let done = rows.filter { $0.belongs(to: cell) }.count
            guard done < configuration.operatingPoints(cell.schedule).count else { continue }
            if context?.seed != cell.seed { context = try prepare(seed: cell.seed, rows: &rows) }
            try runCell(cell, number: index + 1, of: cells.count, context: context!, rows: &rows, tally: &tally)
        }
    }

    /// Steps finished in this shard and the seconds this run spent in them, for the ETA
    /// (base-model training is not a step, so it does not inflate the estimate).
    struct Tally {
        let total: Int
        var completed: Int
        let startCompleted: Int
        var stepSeconds = 0.0

        init(total: Int, completed: Int) {
            (self.total, self.completed, startCompleted) = (total, completed, completed)
        }

        mutating func finished(_ row: CurveRow) {
            completed += 1
            stepSeconds += row.wallSeconds
        }

        var secondsRemaining: Double? {
            let finished = completed - startCompleted
            return finished > 0 ? stepSeconds / Double(finished) * Double(total - completed) : nil
        }
    }

    /// Runs the steps of `cell` that its rows do not have yet.
    private func runCell(_ cell: CurveCell, number: Int, of cells: Int, context: SeedContext,
                         rows: inout [CurveRow], tally: inout Tally) throws {
        let points = configuration.operatingPoints(cell.schedule)
        var done = rows.filter { $0.belongs(to: cell) }.count
        guard rows.filter({ $0.belongs(to: cell) }).map(\.step) == Array(stride(from: 1, through: done, by: 1)) else {
            throw CurveStoreError.corrupt(path: store.csvPath, line: 0,
                                          reason: "rows of \(cell.method) seed \(cell.seed) are not steps 1...\(done)")
        }
        guard done < points.count else { return }
        var model = context.base.copy()
        if cell.schedule.isChained {
            if let (saved, healed) = try resumeChain(cell, rowsDone: done) {
                model = saved
                if let healed {
                    rows.append(healed)
                    done += 1
                    tally.finished(healed)
                }
            }
            guard done < points.count else { return }
        }
        for step in done..<points.count {
            let current = tally
            let report = { [self] (phase: String, loss: Double?, rate: Double?) in
                progress(CurveProgress(cell: number, cells: cells, method: cell.method, seed: cell.seed, step: step + 1,
                                       steps: points.count, phase: phase, loss: loss, imagesPerSecond: rate,
                                       secondsRemaining: current.secondsRemaining))
            }
            if !cell.schedule.isChained { model = context.base.copy() }
            let row: CurveRow
            do {
                row = try runStep(cell, step: step, target: points[step], model: model, context: context, report: report)
            } catch {
                throw CurveStepError(cell: cell, step: step + 1, underlying: error)
            }
            if cell.schedule.isChained {
                try model.save(to: store.statePath(cell), metadata: [Self.stepKey: "\(step + 1)", Self.rowKey: row.csvLine])
            }
            try store.append(row)
            rows.append(row)
            tally.finished(row)
        }
    }

    /// The saved model of a chained cell whose CSV has `rowsDone` rows, and the row to append
    /// first when the run was killed between saving a step and writing its row; nil when the
    /// chain has not started.
    private func resumeChain(_ cell: CurveCell, rowsDone: Int) throws -> (Model, CurveRow?)? {
        guard FileManager.default.fileExists(atPath: store.statePath(cell)) else {
            guard rowsDone == 0 else {
                throw CurveStoreError.mismatch(path: store.statePath(cell), reason: "missing, but the CSV has rows of this cell")
            }
            return nil
        }
        let (saved, metadata) = try Model.load(from: store.statePath(cell))
        let step = Int(metadata[Self.stepKey] ?? "") ?? -1
        if step == rowsDone + 1, let line = metadata[Self.rowKey], let row = CurveRow(csvLine: line[...]) {
            try store.append(row)
            return (saved, row)
        }
        guard step == rowsDone else {
            throw CurveStoreError.mismatch(path: store.statePath(cell),
                                           reason: "holds step \(step) but the CSV has \(rowsDone) rows of this cell")
        }
        return (saved, nil)
    }

    /// Seconds spent in the two kinds of work of a step.
    struct StepTimes {
        var prune = 0.0, fineTune = 0.0

        static func timed(_ seconds: inout Double, _ body: () throws -> Void) rethrows {
            let start = Date()
            try body()
            seconds += Date().timeIntervalSince(start)
        }
    }

    /// Runs one operating point (`point`: a FLOPs fraction, or a penalty strength) on `model`
    /// and measures the row.
    private func runStep(_ cell: CurveCell, step: Int, target point: Double, model: Model, context: SeedContext,
                         report: (String, Double?, Double?) -> Void) throws -> CurveRow {
        let started = Date()
        var times = StepTimes()
        let before: Evaluation
        switch cell.schedule {
        case .groupLasso where cell.isControl:
            before = try lassoControlStep(cell, step: step, model: model, times: &times, report: report)
        case .oneShot, .iterative, .gradual, .stepwise,
             .soft where cell.isControl:
            before = try phasedStep(cell, step: step, model: model, context: context, times: &times, report: report)
        case .groupLasso:
            before = try lassoStep(cell, step: step, strength: point, model: model, times: &times, report: report)
        case .soft:
            before = try softStep(cell, step: step, target: point, model: model, context: context, times: &times,
                                  report: report)
        }
        report("measure", nil, nil)
        var row = measure(model, cell: cell, step: step, base: context.base, reference: context.reference)
        row.accuracyBeforeFineTuning = before.accuracy
        (row.pruneSeconds, row.fineTuneSeconds) = (times.prune, times.fineTune)
        row.wallSeconds = Date().timeIntervalSince(started)
        return row
    }

    /// The group-lasso control: the schedule's two fine-tuning phases, nothing penalised or removed.
    private func lassoControlStep(_ cell: CurveCell, step: Int, model: Model, times: inout StepTimes,
                                  report: (String, Double?, Double?) -> Void) throws -> Evaluation {
        try StepTimes.timed(&times.fineTune) { try fineTune(model, cell: cell, step: step, report: report) }
        let before = Trainer.evaluate(model, on: test)
        try StepTimes.timed(&times.fineTune) { try fineTune(model, cell: cell, step: step + 1_000, report: report) }
        return before
    }

    /// Prune-then-fine-tune phases to the step's FLOPs target (one, or `stepwise`'s many); a
    /// control fine-tunes through the same phases and removes nothing (for `soft` too: its
    /// budget per step is one phase of `fineTuneSteps` from the unpruned model).
    private func phasedStep(_ cell: CurveCell, step: Int, model: Model, context: SeedContext, times: inout StepTimes,
                            report: (String, Double?, Double?) -> Void) throws -> Evaluation {
        var before: Evaluation?
        let phases = configuration.phases(cell.schedule, step: step)
        for (index, phase) in phases.enumerated() {
            if !cell.isControl {
                report("prune", nil, nil)
                try StepTimes.timed(&times.prune) {
                    try model.prune(toFraction: phase.target!, of: context.base, cell: cell, step: phase.seedStep,
                                    configuration: configuration, data: context.calibration)
                }
            }
            if index == phases.count - 1 { before = Trainer.evaluate(model, on: test) }
            try StepTimes.timed(&times.fineTune) {
                try fineTune(model, cell: cell, step: phase.seedStep, steps: phase.fineTuneSteps, report: report)
            }
        }
        return before!
    }

    /// Penalised training with a proximal step at `strength`, removal of the zeroed groups,
    /// then plain fine-tuning.
    private func lassoStep(_ cell: CurveCell, step: Int, strength: Double, model: Model, times: inout StepTimes,
                           report: (String, Double?, Double?) -> Void) throws -> Evaluation {
        var proximalSeconds = 0.0
        try StepTimes.timed(&times.fineTune) {
            try fineTune(model, cell: cell, step: step, phase: "penalised", report: report) { _, learningRate in
                try StepTimes.timed(&proximalSeconds) {
                    try model.proximalStep(strength: strength, granularity: cell.granularity, learningRate: learningRate)
                }
            }
        }
        try StepTimes.timed(&times.prune) { try model.removeZeroedGroups(granularity: cell.granularity) }
        times.prune += proximalSeconds
        times.fineTune -= proximalSeconds
        let before = Trainer.evaluate(model, on: test)
        try StepTimes.timed(&times.fineTune) { try fineTune(model, cell: cell, step: step + 1_000, report: report) }
        return before
    }

    /// Soft pruning: zero the lowest groups, train with them re-chosen every fifth of the
    /// phase, then remove the final choice.
    private func softStep(_ cell: CurveCell, step: Int, target: Double, model: Model, context: SeedContext,
                          times: inout StepTimes, report: (String, Double?, Double?) -> Void) throws -> Evaluation {
        report("prune", nil, nil)
        let interval = max(1, configuration.fineTuneSteps / 5)
        try StepTimes.timed(&times.prune) {
            try model.zeroLowest(toFraction: target, of: context.base, cell: cell, step: step,
                                 configuration: configuration, data: context.calibration)
        }
        let before = Trainer.evaluate(model, on: test)
        var softSeconds = 0.0
        try StepTimes.timed(&times.fineTune) {
            try fineTune(model, cell: cell, step: step, phase: "soft-pruned training", report: report) { sgdStep, _ in
                guard (sgdStep + 1) % interval == 0, sgdStep + 1 < configuration.fineTuneSteps else { return }
                try StepTimes.timed(&softSeconds) {
                    try model.zeroLowest(toFraction: target, of: context.base, cell: cell, step: step,
                                         configuration: configuration, data: context.calibration)
                }
            }
        }
        times.fineTune -= softSeconds
        try StepTimes.timed(&times.prune) {
            try model.prune(toFraction: target, of: context.base, cell: cell, step: step,
                            configuration: configuration, data: context.calibration)
        }
        times.prune += softSeconds
        return before
    }

    /// The row's measured columns after fine-tuning: costs, test accuracy and loss, deviation
    /// from the unpruned model, latency.
    private func measure(_ model: Model, cell: CurveCell, step: Int, base: Model, reference: ModelOutputs) -> CurveRow {
        let outputs = ModelOutputs(model, on: test)
        let latency = Latency.measure(model, data: test, singles: configuration.latencyImages)
        let (cost, baseCost) = (model.curveCost(counting: cell.granularity), base.curveCost(counting: cell.granularity))
        var row = CurveRow(cell: cell, step: step + 1)
        row.parameters = cost.parameters
        row.macs = cost.macs
        row.flops = cost.flops
        row.flopsRatio = Double(row.flops) / Double(baseCost.flops)
        row.sparsity = 1 - Double(cost.nonZeroParameters) / Double(baseCost.nonZeroParameters)
        row.accuracyAfterFineTuning = outputs.evaluation.accuracy
        row.testLoss = outputs.evaluation.loss
        (row.klDivergence, row.top1Agreement) = outputs.deviation(from: reference)
        (row.latencyBatch1, row.latencyBatch256) = latency
        return row
    }

    /// `steps` SGD steps (default `fineTuneSteps`) with a fresh optimizer and batches in an
    /// order seeded by the cell's seed and `step` (not its criterion, so a control sees the
    /// batches its pruning cells see); masks stay applied; `afterStep` runs after each
    /// (proximal penalties, soft pruning). The learning rate falls from
    /// `fineTuneLearningRate` to 0 by a cosine over the phase (Loshchilov & Hutter 2017), so a
    /// row measures a settled model rather than the noise of the last SGD steps.
    private func fineTune(_ model: Model, cell: CurveCell, step: Int, steps: Int? = nil, phase: String = "fine-tune",
                          report: (String, Double?, Double?) -> Void,
                          afterStep: (_ step: Int, _ learningRate: Double) throws -> Void = { _, _ in }) throws {
        let total = steps ?? configuration.fineTuneSteps
        var remaining = total
        guard remaining > 0 else { return }
        let optimizer = SGD(learningRate: Float(configuration.fineTuneLearningRate), momentum: 0.9, weightDecay: 5e-4,
                            decaysEveryParameter: Model.decaysEveryParameter(configuration))
        let trainer = Trainer(batchSize: configuration.batchSize, seed: cell.seed &* 1_000_003 &+ UInt64(step))
        let perEpoch = (train.count + configuration.batchSize - 1) / configuration.batchSize
        var (epoch, done) = (0, 0)
        while remaining > 0 {
            let steps = min(remaining, perEpoch), offset = done
            _ = try trainer.trainEpoch(model, optimizer: optimizer, data: train, epoch: epoch, epochs: 1, maxSteps: steps,
                                       progress: { p in
                                           if p.step % 10 == 0 || p.step + 1 == steps { report(phase, p.loss, p.imagesPerSecond) }
                                       },
                                       afterStep: { sgdStep in
                                           let used = Double(optimizer.learningRate)
                                           let t = Double(offset + sgdStep + 1) / Double(total)
                                           optimizer.learningRate = Float(configuration.fineTuneLearningRate * 0.5 * (1 + cos(Double.pi * t)))
                                           try afterStep(offset + sgdStep, used)
                                       })
            done += steps
            remaining -= steps
            epoch += 1
        }
    }
}
