import ArgumentParser
import Foundation
import ShearsExperiments
import ShearsNet
import ShearsPrune

extension ScheduleKind: ExpressibleByArgument {}

/// `shears curve`: the accuracy-vs-FLOPs experiment over a grid of criteria, granularities,
/// schedules and seeds; resumable, shardable.
struct CurveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "curve",
        abstract: "Prune over a grid (criteria x granularities x schedules x seeds) and write accuracy-vs-FLOPs rows as CSV.",
        discussion: """
        Settings come from --preset (quick: the README's main job, ~15 minutes; full: every criterion, \
        3 seeds with their own base models, hours; stepwise: Molchanov's 2%-at-a-time schedule for five \
        criteria), then a JSON or YAML --config file (its keys: \(CurveConfiguration.validKeys.joined(separator: ", "))), \
        then the flags below. Rows are appended atomically after every pruning step; running the same \
        command again resumes where it stopped. A manifest (<out>.manifest.json) records the configuration, \
        versions, threads and BLAS build; <out>.state/ holds each seed's base model and each chain's latest \
        model. Every schedule and seed gets a control row per step: the unpruned model fine-tuned exactly as \
        the pruning cells are. Criteria score on calibration images (the last 5,000 training images), never \
        on test images.
        """)

    @Option(help: "Preset to start from: quick, full or stepwise.")
    var preset = "quick"

    @Option(help: "JSON or YAML (.yaml, .yml) configuration file (keys override the preset; 'preset' inside chooses the base).")
    var config: String?

    @Option(help: "CSV to write (its manifest and state directory go beside it).")
    var out = "runs/curve.csv"

    @Option(help: "Run one deterministic share i/n of the grid (0 <= i < n); combine shards with 'shears merge'.")
    var shard = "0/1"

    @Option(help: "Model to train and prune: a VGG preset (vgg-s) or resnet-s, pruned through its dependency groups (overrides).")
    var model: String?
    @Option(help: "Comma-separated criteria (overrides).")
    var criteria: String?
    @Option(help: "Comma-separated granularities (overrides).")
    var granularities: String?
    @Option(help: "Comma-separated schedules: \(ScheduleKind.allCases.map(\.rawValue).joined(separator: ", ")) (overrides).")
    var schedules: String?
    @Option(help: "Comma-separated seeds (overrides).")
    var seeds: String?
    @Option(help: "Comma-separated FLOPs fractions, descending, in (0, 1) (overrides).")
    var targets: String?
    @Option(parsing: .unconditional, help: "SGD steps of fine-tuning after each pruning step (overrides).")
    var fineTuneSteps: Int?
    @Option(help: "Start from this trained checkpoint instead of training one (overrides).")
    var checkpoint: String?
    @Option(parsing: .unconditional, help: "Epochs to train the base model when there is no checkpoint (overrides).")
    var trainEpochs: Int?
    @Option(parsing: .unconditional,
            help: "Calibration images (a seeded draw per seed from the last 5,000 training images) the criteria score on (overrides).")
    var scoringSamples: Int?
    @Option(parsing: .unconditional, help: "Every layer keeps at least this share of its groups (overrides).")
    var minLayerKeep: Double?
    @Option(parsing: .unconditional, help: "OBS damping δ: H + δ·mean(diag H)·I (overrides).")
    var obsDamping: Double?
    @Option(parsing: .unconditional, help: "Round kept widths up to a multiple of N at filter, channel and neuron granularity (overrides; 1 = none).")
    var roundTo: Int?
    @Flag(help: "Hold the calibration split out of base training and fine-tuning (overrides).")
    var holdOutCalibration = false
    @Option(parsing: .unconditional, help: "Measure on the first N test images, 0 = all (overrides).")
    var testLimit: Int?
    @Option(parsing: .unconditional, help: "Train and fine-tune on the first N training images, 0 = all (overrides).")
    var trainLimit: Int?

    @Option(help: "Directory with the Fashion-MNIST IDX files.")
    var dataDir: String = FashionMNIST.defaultDirectory

    @OptionGroup var threadOptions: ThreadOptions
    var threads: Int { threadOptions.threads }

    /// The flag that sets each configuration key, to name in errors about overrides.
    static let flags = [
        "model": "--model", "criteria": "--criteria", "granularities": "--granularities", "schedules": "--schedules", "seeds": "--seeds",
        "flopsTargets": "--targets", "fineTuneSteps": "--fine-tune-steps", "checkpoint": "--checkpoint",
        "trainEpochs": "--train-epochs", "scoringSamples": "--scoring-samples", "testLimit": "--test-limit",
        "trainLimit": "--train-limit", "minLayerKeep": "--min-layer-keep", "obsDamping": "--obs-damping", "roundTo": "--round-to",
        "holdOutCalibration": "--hold-out-calibration",
    ]

    /// The configuration the flags describe, validated before any work.
    func resolved() throws -> (CurveConfiguration, Shard) {
        guard let shard = Shard(parsing: shard) else {
            throw ValidationError("--shard must be i/n with 0 <= i < n, got '\(self.shard)'")
        }
        var configuration: CurveConfiguration
        if let config {
            guard let data = FileManager.default.contents(atPath: config) else {
                throw ValidationError("cannot read --config '\(config)'")
            }
            do {
                configuration = try CurveConfiguration.load(file: data, source: config)
            } catch let error as CurveConfigurationError {
                throw ValidationError("\(error)")
            }
        } else {
            guard let chosen = CurveConfiguration.presets[preset] else {
                throw ValidationError("unknown --preset '\(preset)'; choose one of \(CurveConfiguration.presets.keys.sorted().joined(separator: ", "))")
            }
            configuration = chosen
        }
        func list(_ text: String?) -> [String]? { text.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } }
        if let model { configuration.model = model }
        // Every criterion has a group form, so a preset's criteria run on resnet-s as they are.
        if let names = list(criteria) { configuration.criteria = names }
        if let names = list(granularities) {
            configuration.granularities = try names.map {
                guard let granularity = Granularity(rawValue: $0) else { throw PruningError.unknownGranularity($0) }
                return granularity
            }
        }
        if let names = list(schedules) {
            configuration.schedules = try names.map {
                guard let schedule = ScheduleKind(rawValue: $0) else {
                    throw ValidationError("unknown schedule '\($0)'; valid: \(ScheduleKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return schedule
            }
        }
        if let values = list(seeds) {
            configuration.seeds = try values.map {
                guard let seed = UInt64($0) else { throw ValidationError("--seeds: '\($0)' is not a seed") }
                return seed
            }
        }
        if let values = list(targets) {
            configuration.flopsTargets = try values.map {
                guard let target = Double($0) else { throw ValidationError("--targets: '\($0)' is not a number") }
                return target
            }
        }
        if let fineTuneSteps { configuration.fineTuneSteps = fineTuneSteps }
        if let checkpoint { configuration.checkpoint = checkpoint }
        if let trainEpochs { configuration.trainEpochs = trainEpochs }
        if let scoringSamples { configuration.scoringSamples = scoringSamples }
        if let minLayerKeep { configuration.minLayerKeep = minLayerKeep }
        if let obsDamping { configuration.obsDamping = obsDamping }
        if let roundTo { configuration.roundTo = roundTo }
        if holdOutCalibration { configuration.holdOutCalibration = true }
        if let testLimit { configuration.testLimit = testLimit }
        if let trainLimit { configuration.trainLimit = trainLimit }
        // The file (or preset) was valid on its own, so what fails now comes from the flags.
        do {
            try configuration.validate(source: "the command line")
        } catch let CurveConfigurationError.invalid(key, reason, _) {
            throw ValidationError("\(Self.flags[key] ?? "'\(key)'") \(reason)")
        }
        return (configuration, shard)
    }

    func validate() throws {
        _ = try resolved()
    }

    func run() throws {
        let (configuration, shard) = try resolved()
        Compute.configure(threads: threads)
        let store = CurveStore(csvPath: out)
        try FileManager.default.createDirectory(atPath: (out as NSString).deletingLastPathComponent.isEmpty
                                                ? "." : (out as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        // Before any work: one run per CSV, and an --out that can become this curve's CSV.
        try store.checkOutput()
        if let checkpoint = configuration.checkpoint {
            let network = try loadFashionMNISTGraph(checkpoint).model.specification
            guard GraphNetwork.curveLayouts(of: configuration.model).contains(where: network.hasLayout(of:)) else {
                throw CheckpointError.architectureMismatch(
                    path: checkpoint, reason: "is not a \(configuration.model) model: its layers differ from the preset's (widths aside)")
            }
            // What depends on the network (its groups, what each criterion applies to) is checked on the checkpoint's graph.
            do {
                try configuration.validate(source: checkpoint, network: network)
            } catch let CurveConfigurationError.invalid(key, reason, _) {
                throw ValidationError("\(Self.flags[key] ?? "'\(key)'") \(reason) (checkpoint \(checkpoint))")
            }
        }
        let lock = try CurveLock(store: store)
        defer { withExtendedLifetime(lock) {} }
        let train = try FashionMNIST.load(.train, directory: dataDir)
        let test = try FashionMNIST.load(.test, directory: dataDir)
        try store.openManifest(CurveManifest(configuration: configuration, shards: [shard], threads: threads))
        let cells = configuration.cells(of: shard)
        let steps = cells.reduce(0) { $0 + configuration.operatingPoints($1.schedule).count }
        print("curve: \(cells.count) cells, \(steps) pruning steps (shard \(shard)) -> \(out)")
        print("curve: \(configuration.model), criteria \(configuration.criteria.joined(separator: ", "))")
        try run(CurveRunner<GraphNetwork>(configuration: configuration, store: store, shard: shard, train: train, test: test))
        let rows = try store.rows()
        print("done: \(rows.count) rows in \(out); plot with scripts/plot-curve \(out)")
    }

    /// Runs `runner` with a progress line on standard error.
    private func run<Model: CurveModel>(_ runner: CurveRunner<Model>) throws {
        let line = ProgressLine()
        runner.trainingProgress = { line.show($0) }
        var lastShown = ""
        runner.progress = { p in
            let key = "\(p.cell) \(p.step) \(p.phase)"
            guard line.interactive || key != lastShown else { return }
            lastShown = key
            var text = "cell \(p.cell)/\(p.cells) \(p.method) seed \(p.seed)  step \(p.step)/\(p.steps)  \(p.phase)"
            if let loss = p.loss { text += "  loss \(fmt(loss, 4))" }
            if let rate = p.imagesPerSecond { text += "  \(fmt(rate, 0)) img/s" }
            text += "  ETA \(p.secondsRemaining.map(ProgressLine.duration) ?? "?")"
            FileHandle.standardError.write(Data(((line.interactive ? "\r\u{1B}[K" : "") + text + (line.interactive ? "" : "\n")).utf8))
        }
        try runner.run()
        if line.interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
