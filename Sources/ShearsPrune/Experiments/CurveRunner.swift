import Foundation
import ShearsNet

/// Where a curve run is, for a progress line.
public struct CurveProgress: Sendable {
    /// 1-based cell of the shard and the shard's cell count.
    public let cell: Int
    public let cells: Int
    public let method: String
    public let seed: UInt64
    /// 1-based operating point of the cell and its count.
    public let step: Int
    public let steps: Int
    /// `train base`, `prune`, `fine-tune` or `measure`.
    public let phase: String
    public let loss: Double?
    public let imagesPerSecond: Double?
    /// Extrapolated from this run's seconds per completed step.
    public let secondsRemaining: Double?
}

/// A step that failed, with where it was.
public struct CurveStepError: Error, CustomStringConvertible {
    public let cell: CurveCell
    public let step: Int
    public let underlying: Error

    public var description: String { "\(cell.method) seed \(cell.seed), step \(step): \(underlying)" }
}

/// Runs a shard of a curve grid, appending one CSV row per operating point and resuming
/// where an earlier run of the same configuration stopped.
///
/// Each step: score with the cell's criterion (on the first `scoringSamples` *training*
/// images, so no test image decides what is removed), remove the lowest groups until the
/// FLOPs target (re-scoring while the estimate falls short), measure test accuracy, fine-tune
/// `fineTuneSteps` SGD steps (momentum 0.9, weight decay 5e-4, a fresh optimizer, batches in
/// an order seeded by cell and step), measure accuracy, loss, output deviation from the
/// unpruned model and latency. Chained schedules (iterative, gradual) save the model, with
/// the step's row in its metadata, *before* appending the row: a kill between the two is
/// healed on restart by appending the saved row, so no row is lost or doubled.
public final class CurveRunner {
    public let configuration: CurveConfiguration
    public let store: CurveStore
    public let shard: Shard
    let train: Dataset
    let test: Dataset
    public var progress: (CurveProgress) -> Void = { _ in }
    public var trainingProgress: (TrainingProgress) -> Void = { _ in }

    static let stepKey = "shears.curve.step"
    static let rowKey = "shears.curve.row"

    public init(configuration: CurveConfiguration, store: CurveStore, shard: Shard, train: Dataset, test: Dataset) {
        self.configuration = configuration
        self.store = store
        self.shard = shard
        self.train = configuration.trainLimit > 0 ? train.prefix(configuration.trainLimit) : train
        self.test = configuration.testLimit > 0 ? test.prefix(configuration.testLimit) : test
    }

    /// The unpruned model: the configured checkpoint, the base saved by an earlier run, or
    /// one trained now with the reference recipe (SGD 0.01, momentum 0.9, wd 5e-4, batch 64, seed 1).
    public func baseModel() throws -> VGG {
        if let checkpoint = configuration.checkpoint { return try VGG.load(from: checkpoint).model }
        if FileManager.default.fileExists(atPath: store.baseModelPath) { return try VGG.load(from: store.baseModelPath).model }
        var model = VGG(VGGConfiguration.preset(configuration.model)!, seed: 1)
        let optimizer = SGD(learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4)
        let trainer = Trainer(batchSize: 64, seed: 1)
        let recipe = "vgg preset \(configuration.model), \(configuration.trainEpochs) epochs, seed 1, reference recipe"
        // Killed mid-training, the next run resumes from the last finished epoch (bit-identically).
        let checkpoint = EpochCheckpoint(path: store.baseModelPath + ".resume",
                                         recipe: ["shears.curve.base": recipe, "train_images": "\(train.count)"])
        var history: [String] = []
        if let state = try checkpoint.resume(optimizer: optimizer) { (model, history) = (state.model, state.history) }
        for epoch in history.count..<configuration.trainEpochs {
            _ = try trainer.trainEpoch(model, optimizer: optimizer, data: train, epoch: epoch, epochs: configuration.trainEpochs,
                                       progress: trainingProgress)
            history.append("{\"epoch\":\(epoch + 1)}")
            try checkpoint.save(model: model, optimizer: optimizer, epochsDone: epoch + 1, history: history)
        }
        try model.save(to: store.baseModelPath, metadata: ["shears.curve.base": recipe])
        try checkpoint.remove()
        return model
    }

    public func run() throws {
        let base = try baseModel()
        let measured = Date()
        let reference = ModelOutputs(base, on: test)
        let cells = configuration.cells(of: shard)
        var rows = try store.rows()
        if !rows.contains(where: \.isUnpruned) {
            let latency = Latency.measure(base, data: test, singles: configuration.latencyImages)
            let row = CurveRow.unpruned(accuracy: reference.evaluation.accuracy, loss: reference.evaluation.loss,
                                        cost: ModelCost(base), latency: latency, seconds: Date().timeIntervalSince(measured))
            try store.append(row)
            rows.append(row)
        }
        var tally = Tally(total: cells.reduce(0) { $0 + configuration.operatingPoints($1.schedule).count },
                          completed: rows.filter { row in cells.contains { row.belongs(to: $0) } }.count)
        for (index, cell) in cells.enumerated() {
            try runCell(cell, number: index + 1, of: cells.count, base: base, reference: reference, rows: &rows, tally: &tally)
        }
    }

    /// Steps finished in this shard, for the ETA.
    struct Tally {
        let total: Int
        var completed: Int
        let startCompleted: Int
        let start = Date()

        init(total: Int, completed: Int) {
            (self.total, self.completed, startCompleted) = (total, completed, completed)
        }

        var secondsRemaining: Double? {
            let finished = completed - startCompleted
            return finished > 0 ? Date().timeIntervalSince(start) / Double(finished) * Double(total - completed) : nil
        }
    }

    /// Runs the steps of `cell` that its rows do not have yet.
    private func runCell(_ cell: CurveCell, number: Int, of cells: Int, base: VGG, reference: ModelOutputs,
                         rows: inout [CurveRow], tally: inout Tally) throws {
        let points = configuration.operatingPoints(cell.schedule)
        var done = rows.filter { $0.belongs(to: cell) }.count
        guard rows.filter({ $0.belongs(to: cell) }).map(\.step) == Array(stride(from: 1, through: done, by: 1)) else {
            throw CurveStoreError.corrupt(path: store.csvPath, line: 0,
                                          reason: "rows of \(cell.method) seed \(cell.seed) are not steps 1...\(done)")
        }
        guard done < points.count else { return }
        var model = base.copy()
        if cell.schedule.isChained {
            if let (saved, healed) = try resumeChain(cell, rowsDone: done) {
                model = saved
                if let healed {
                    rows.append(healed)
                    done += 1
                    tally.completed += 1
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
            if !cell.schedule.isChained { model = base.copy() }
            let row: CurveRow
            do {
                row = try runStep(cell, step: step, target: points[step], model: model, base: base, reference: reference,
                                  report: report)
            } catch {
                throw CurveStepError(cell: cell, step: step + 1, underlying: error)
            }
            if cell.schedule.isChained {
                try model.save(to: store.statePath(cell), metadata: [Self.stepKey: "\(step + 1)", Self.rowKey: row.csvLine])
            }
            try store.append(row)
            rows.append(row)
            tally.completed += 1
        }
    }

    /// The saved model of a chained cell whose CSV has `rowsDone` rows, and the row to append
    /// first when the run was killed between saving a step and writing its row; nil when the
    /// chain has not started.
    private func resumeChain(_ cell: CurveCell, rowsDone: Int) throws -> (VGG, CurveRow?)? {
        guard FileManager.default.fileExists(atPath: store.statePath(cell)) else {
            guard rowsDone == 0 else {
                throw CurveStoreError.mismatch(path: store.statePath(cell), reason: "missing, but the CSV has rows of this cell")
            }
            return nil
        }
        let (saved, metadata) = try VGG.load(from: store.statePath(cell))
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

    /// Runs one operating point (`point`: a FLOPs fraction, or a penalty strength) on `model`
    /// and measures the row.
    private func runStep(_ cell: CurveCell, step: Int, target point: Double, model: VGG, base: VGG, reference: ModelOutputs,
                         report: (String, Double?, Double?) -> Void) throws -> CurveRow {
        let started = Date()
        var (pruneSeconds, fineTuneSeconds) = (0.0, 0.0)
        func timed(_ seconds: inout Double, _ body: () throws -> Void) rethrows {
            let start = Date()
            try body()
            seconds += Date().timeIntervalSince(start)
        }
        let scoringData = train.prefix(configuration.scoringSamples)
        let before: Evaluation
        switch cell.schedule {
        case .oneShot, .iterative, .gradual:
            report("prune", nil, nil)
            try timed(&pruneSeconds) {
                try CurvePruning.prune(model, toFraction: point, of: base, cell: cell, step: step, configuration: configuration,
                                       scoringData: scoringData)
            }
            before = Trainer.evaluate(model, on: test)
            try timed(&fineTuneSeconds) { try fineTune(model, cell: cell, step: step, report: report) }
        case .groupLasso:
            let lasso = GroupLasso(strength: point, granularity: cell.granularity)
            var proximalSeconds = 0.0
            try timed(&fineTuneSeconds) {
                try fineTune(model, cell: cell, step: step, phase: "penalised", report: report) { _, learningRate in
                    try timed(&proximalSeconds) { try lasso.proximalStep(model, learningRate: learningRate) }
                }
            }
            try timed(&pruneSeconds) {
                try Surgeon.apply(try GroupLasso.zeroGroups(model, granularity: cell.granularity), to: model)
            }
            pruneSeconds += proximalSeconds
            fineTuneSeconds -= proximalSeconds
            before = Trainer.evaluate(model, on: test)
            try timed(&fineTuneSeconds) { try fineTune(model, cell: cell, step: step + 1_000, report: report) }
        case .soft:
            report("prune", nil, nil)
            let interval = max(1, configuration.fineTuneSteps / 5)
            try timed(&pruneSeconds) {
                try CurvePruning.zeroLowest(model, toFraction: point, of: base, cell: cell, step: step,
                                            configuration: configuration, scoringData: scoringData)
            }
            before = Trainer.evaluate(model, on: test)
            var softSeconds = 0.0
            try timed(&fineTuneSeconds) {
                try fineTune(model, cell: cell, step: step, phase: "soft-pruned training", report: report) { sgdStep, _ in
                    guard (sgdStep + 1) % interval == 0, sgdStep + 1 < configuration.fineTuneSteps else { return }
                    try timed(&softSeconds) {
                        try CurvePruning.zeroLowest(model, toFraction: point, of: base, cell: cell, step: step,
                                                    configuration: configuration, scoringData: scoringData)
                    }
                }
            }
            fineTuneSeconds -= softSeconds
            try timed(&pruneSeconds) {
                try CurvePruning.prune(model, toFraction: point, of: base, cell: cell, step: step, configuration: configuration,
                                       scoringData: scoringData)
            }
            pruneSeconds += softSeconds
        }
        report("measure", nil, nil)
        let outputs = ModelOutputs(model, on: test)
        let deviation = outputs.deviation(from: reference)
        let latency = Latency.measure(model, data: test, singles: configuration.latencyImages)
        let (cost, baseCost) = (ModelCost(model), ModelCost(base))
        var row = CurveRow(cell: cell, step: step + 1)
        row.parameters = cost.parameters
        row.macs = cost.macs
        row.flops = CurvePruning.flops(cost, granularity: cell.granularity)
        row.flopsRatio = Double(row.flops) / Double(CurvePruning.flops(baseCost, granularity: cell.granularity))
        row.sparsity = 1 - Double(cost.nonZeroParameters) / Double(baseCost.nonZeroParameters)
        row.accuracyBeforeFineTuning = before.accuracy
        row.accuracyAfterFineTuning = outputs.evaluation.accuracy
        row.testLoss = outputs.evaluation.loss
        (row.klDivergence, row.top1Agreement) = deviation
        (row.latencyBatch1, row.latencyBatch256) = latency
        (row.pruneSeconds, row.fineTuneSeconds) = (pruneSeconds, fineTuneSeconds)
        row.wallSeconds = Date().timeIntervalSince(started)
        return row
    }

    /// `fineTuneSteps` SGD steps with a fresh optimizer; masks stay applied; `afterStep` runs
    /// after each (proximal penalties, soft pruning). The learning rate falls from
    /// `fineTuneLearningRate` to 0 by a cosine over the phase (Loshchilov & Hutter 2017), so a
    /// row measures a settled model rather than the noise of the last SGD steps.
    private func fineTune(_ model: VGG, cell: CurveCell, step: Int, phase: String = "fine-tune",
                          report: (String, Double?, Double?) -> Void,
                          afterStep: (_ step: Int, _ learningRate: Double) throws -> Void = { _, _ in }) throws {
        var remaining = configuration.fineTuneSteps
        guard remaining > 0 else { return }
        let optimizer = SGD(learningRate: Float(configuration.fineTuneLearningRate), momentum: 0.9, weightDecay: 5e-4)
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
                                           let t = Double(offset + sgdStep + 1) / Double(configuration.fineTuneSteps)
                                           optimizer.learningRate = Float(configuration.fineTuneLearningRate * 0.5 * (1 + cos(Double.pi * t)))
                                           try afterStep(offset + sgdStep, used)
                                       })
            done += steps
            remaining -= steps
            epoch += 1
        }
    }
}
