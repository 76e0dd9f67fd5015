import Foundation
@testable import ShearsExperiments
import ShearsNet
import ShearsPrune
import Testing

@Suite("Curve runs: rows, resume and configuration errors")
struct CurveRunnerTests {
    let train = Dataset.synthetic(count: 256, classCount: 10, seed: 1)
    let test = Dataset.synthetic(count: 64, classCount: 10, seed: 2)

    /// A small configuration on a quarter-width vgg-s saved as the starting checkpoint.
    func setUp(_ directory: URL) throws -> CurveConfiguration {
        let model = try GraphNetwork(VGGConfiguration.vggS.scaled(by: 0.25).graph, seed: 3)
        let checkpoint = directory.appendingPathComponent("base.safetensors").path
        try model.save(to: checkpoint)
        var configuration = CurveConfiguration()
        configuration.checkpoint = checkpoint
        configuration.criteria = ["random", "l1"]
        configuration.schedules = [.iterative, .oneShot]
        configuration.flopsTargets = [0.6, 0.3]
        configuration.fineTuneSteps = 3
        configuration.batchSize = 32
        configuration.scoringSamples = 32
        configuration.latencyImages = 2
        return configuration
    }

    func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("curve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test("a run writes one row per operating point, FLOPs at the targets; a killed step is healed from the saved state")
    func rowsAndHealing() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let configuration = try setUp(directory)
        let store = CurveStore(csvPath: directory.appendingPathComponent("curve.csv").path)
        try store.openManifest(CurveManifest(configuration: configuration, shards: [.whole], threads: 1))
        try CurveRunner<GraphNetwork>(configuration: configuration, store: store, shard: .whole, train: train, test: test).run()
        let all = try store.rows()
        // The unpruned row, then (control + 2 criteria) x 2 schedules x 2 steps.
        #expect(all.count == 13 && all[0].isUnpruned && all[0].flopsRatio == 1 && all[0].step == 0)
        let rows = all.dropFirst().filter { !$0.isControl }, controls = all.filter(\.isControl)
        #expect(rows.count == 8 && rows.allSatisfy { $0.flopsRatio <= ($0.step == 1 ? 0.6 : 0.3) })
        #expect(rows.allSatisfy { $0.flopsRatio > 0.15 && $0.latencyBatch256 > 0 && $0.top1Agreement >= 0 })
        #expect(controls.count == 4 && controls.allSatisfy { $0.flopsRatio == 1 && $0.granularity == "none" && $0.pruneSeconds == 0 })
        // Simulate a kill after the chained cell saved step 2 but before its row was appended:
        // the restart appends the saved row (timings included) instead of recomputing it.
        let iterative = all.firstIndex { $0.schedule == "iterative" && $0.criterion == "random" && $0.step == 2 }!
        var truncated = all
        truncated.remove(at: iterative)
        try store.write(truncated)
        try CurveRunner<GraphNetwork>(configuration: configuration, store: store, shard: .whole, train: train, test: test).run()
        let healed = try store.rows()
        #expect(healed.count == 13 && Set(healed.map(\.csvLine)) == Set(all.map(\.csvLine)))
        // A second run with everything done adds nothing.
        try CurveRunner<GraphNetwork>(configuration: configuration, store: store, shard: .whole, train: train, test: test).run()
        #expect(try store.rows().count == 13)
    }

    @Test("one-shot control steps each fine-tune the unpruned model from its start")
    func controlBudget() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = try setUp(directory)
        configuration.schedules = [.oneShot]
        configuration.criteria = ["l1"]
        let store = CurveStore(csvPath: directory.appendingPathComponent("c.csv").path)
        try store.openManifest(CurveManifest(configuration: configuration, shards: [.whole], threads: 1))
        try CurveRunner<GraphNetwork>(configuration: configuration, store: store, shard: .whole, train: train, test: test).run()
        let rows = try store.rows()
        let controls = rows.filter(\.isControl), pruned = rows.filter { $0.criterion == "l1" }
        #expect(controls.map(\.step) == [1, 2] && pruned.map(\.step) == [1, 2])
        // One-shot control rows fine-tune the unpruned model once each, from the same start.
        let unpruned = rows.first(where: \.isUnpruned)!
        #expect(controls.allSatisfy { $0.accuracyBeforeFineTuning == unpruned.accuracyAfterFineTuning })
        // Steps 1 and 2 fine-tune with different batch orders, as the pruning cells' steps do.
        #expect(controls[0].testLoss != controls[1].testLoss)
    }

    @Test("each seed trains its own base model and scores on its own calibration subset")
    func seedsVaryBaseAndSubset() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = try setUp(directory)
        configuration.checkpoint = nil
        configuration.trainEpochs = 1
        configuration.seeds = [1, 2]
        configuration.schedules = [.oneShot]
        configuration.criteria = ["l1"]
        configuration.flopsTargets = [0.5]
        let store = CurveStore(csvPath: directory.appendingPathComponent("c.csv").path)
        try store.openManifest(CurveManifest(configuration: configuration, shards: [.whole], threads: 1))
        let runner = CurveRunner<GraphNetwork>(configuration: configuration, store: store, shard: .whole, train: train, test: test)
        try runner.run()
        let unpruned = try store.rows().filter(\.isUnpruned)
        #expect(unpruned.map(\.seed) == [1, 2])
        let bases = try [1, 2].map { try GraphNetwork.load(from: store.baseModelPath(seed: $0)).model }
        #expect(bases[0].parameters[0].value.values != bases[1].parameters[0].value.values)
        let subsets = [1, 2].map { CalibrationData(calibration: runner.calibration, seed: $0, scoringSamples: 8).scoring }
        #expect(subsets[0].pixels != subsets[1].pixels && subsets[0].count == 8)
        #expect(runner.calibration.pixels == Array(train.pixels.suffix(runner.calibration.count * 28 * 28)))
    }

    @Test("a fine-tuning loss that diverges stops the run naming cell and step; no row is written for it")
    func divergingFineTune() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = try setUp(directory)
        configuration.schedules = [.iterative]
        configuration.criteria = ["l1"]
        // Training images scaled to ~1e37 overflow the activations: the first fine-tuning loss is not finite.
        var exploding = train
        exploding.normalization = Normalization(mean: 0, std: 1e-37)
        let store = CurveStore(csvPath: directory.appendingPathComponent("c.csv").path)
        try store.openManifest(CurveManifest(configuration: configuration, shards: [.whole], threads: 1))
        let runner = CurveRunner<GraphNetwork>(configuration: configuration, store: store, shard: .whole, train: exploding, test: test)
        #expect {
            try runner.run()
        } throws: { error in
            let text = "\(error)"
            return error is CurveStepError && text.contains("control/none/iterative seed 1, step 1") && text.contains("diverged")
        }
        #expect(try store.rows().map(\.method) == ["unpruned"])
        #expect(!FileManager.default.fileExists(atPath: store.statePath(CurveCell.control(schedule: .iterative, seed: 1))))
    }

    @Test("holdOutCalibration trains and fine-tunes without the calibration split; trainLimit applies after it")
    func holdOut() throws {
        var configuration = CurveConfiguration()
        configuration.holdOutCalibration = true
        let store = CurveStore(csvPath: "/nonexistent/c.csv")
        let held = CurveRunner<GraphNetwork>(configuration: configuration, store: store, shard: .whole, train: train, test: test)
        #expect(held.calibration.count == 21 && held.train.count == 256 - 21)
        #expect(held.train.pixels == Array(train.pixels.prefix(235 * 28 * 28)))
        configuration.holdOutCalibration = false
        configuration.trainLimit = 100
        let limited = CurveRunner<GraphNetwork>(configuration: configuration, store: store, shard: .whole, train: train, test: test)
        #expect(limited.train.count == 100 && limited.calibration.pixels == held.calibration.pixels)
    }

    @Test("no scoring, Hessian or compensation step reads test images: two test sets give the same pruned models")
    func testSetOnlyReports() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = try setUp(directory)
        configuration.criteria = ["taylor", "obs", "activation"]
        configuration.schedules = [.iterative]
        configuration.compensation = .leastSquares
        var models: [[Float]] = []
        for (name, testSet) in [("a", test), ("b", Dataset.synthetic(count: 64, classCount: 10, seed: 99))] {
            let store = CurveStore(csvPath: directory.appendingPathComponent("\(name).csv").path)
            try store.openManifest(CurveManifest(configuration: configuration, shards: [.whole], threads: 1))
            try CurveRunner<GraphNetwork>(configuration: configuration, store: store, shard: .whole, train: train, test: testSet).run()
            models.append(try configuration.cells.flatMap { cell in
                try GraphNetwork.load(from: store.statePath(cell)).model.parameters.flatMap(\.value.values)
            })
            #expect(try store.rows().filter { !$0.isUnpruned }.count == 8)
        }
        #expect(models[0] == models[1])
    }

    @Test("a different configuration cannot resume into the same files; a torn CSV names file and line")
    func mismatches() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = try setUp(directory)
        let store = CurveStore(csvPath: directory.appendingPathComponent("curve.csv").path)
        try store.openManifest(CurveManifest(configuration: configuration, shards: [.whole], threads: 1))
        configuration.fineTuneSteps = 4
        #expect(throws: CurveStoreError.self) {
            try store.openManifest(CurveManifest(configuration: configuration, shards: [.whole], threads: 1))
        }
        try Data((CurveRow.header.joined(separator: ",") + "\nrandom/filter,random,filter\n").utf8)
            .write(to: URL(fileURLWithPath: store.csvPath))
        #expect(throws: CurveStoreError.corrupt(path: store.csvPath, line: 2, reason: "not a curve row: 'random/filter,random,filter'")) {
            try store.rows()
        }
    }

    @Test("configuration files: unknown keys, wrong types and impossible targets are named")
    func configurationErrors() throws {
        func error(_ json: String) -> String { loadingError(json, source: "c.json") }
        #expect(error(#"{"criterion": ["l1"]}"#).contains("unknown key 'criterion'"))
        #expect(error(#"{"seeds": "one"}"#).contains("'seeds' must be"))
        #expect(error(#"{"flopsTargets": [0.5, 0.7]}"#).contains("'flopsTargets' must be strictly descending"))
        #expect(error(#"{"flopsTargets": [1.5]}"#).contains("'flopsTargets' must be fractions"))
        #expect(error(#"{"criteria": ["taylr"]}"#).contains("unknown criterion 'taylr'"))
        #expect(error(#"{"granularities": ["filters"]}"#).contains("'granularities"))
        #expect(error(#"[1, 2]"#).contains("the top level must be a JSON object"))
        let full = try CurveConfiguration.load(json: Data(#"{"preset": "full", "seeds": [4]}"#.utf8), source: "c.json")
        #expect(full.seeds == [4] && full.flopsTargets == CurveConfiguration.full.flopsTargets)
    }

    @Test("YAML configuration files: the same keys and errors as JSON, chosen by the file name")
    func yamlConfigurations() throws {
        func error(_ yaml: String) -> String { loadingError(yaml, source: "grid.yaml") }
        let yaml = try CurveConfiguration.load(file: Data("""
            # a grid
            preset: full
            criteria: [l2, taylor]
            flopsTargets:
              - 0.5
              - 0.25
            seeds: [4]
            """.utf8), source: "grid.yml")
        let json = try CurveConfiguration.load(file: Data(#"{"preset": "full", "criteria": ["l2", "taylor"], "flopsTargets": [0.5, 0.25], "seeds": [4]}"#.utf8),
                                               source: "grid.json")
        #expect(yaml == json && yaml.criteria == ["l2", "taylor"] && yaml.fineTuneSteps == CurveConfiguration.full.fineTuneSteps)
        #expect(error("criterion: [l1]").contains("grid.yaml: unknown key 'criterion'"))
        #expect(error("seeds: one").contains("'seeds' must be"))
        #expect(error("flopsTargets: [0.5, 0.7]").contains("'flopsTargets' must be strictly descending"))
        #expect(error("- 1\n- 2").contains("the top level must be a YAML mapping"))
        #expect(error("seeds: [1, 2").contains("grid.yaml: not valid YAML"))
        #expect(error("created: 2001-12-14").contains("unknown key 'created'"))
        // YAML 1.2 core schema: no dates or sexagesimals, so these are the strings they read as.
        let dated = try CurveConfiguration.load(file: Data("checkpoint: 2001-12-14\nmodel: vgg-s".utf8), source: "grid.yaml")
        #expect(dated.checkpoint == "2001-12-14")
        #expect(error("checkpoint: 12").contains("grid.yaml: 'checkpoint' must be a string"))
    }

    @Test("the gradual schedule follows Zhu & Gupta's cubic to the last target; shards partition the grid")
    func scheduleAndShards() {
        var configuration = CurveConfiguration.full
        configuration.flopsTargets = [0.5, 0.2]
        let points = configuration.operatingPoints(.gradual)
        #expect(abs(points[0] - (0.2 + 0.8 * 0.125)) < 1e-12 && abs(points[1] - 0.2) < 1e-12)
        let shards = (0..<3).map { configuration.cells(of: Shard(index: $0, count: 3)) }
        #expect(Set(shards.flatMap { $0 }) == Set(configuration.cells) && shards.map(\.count).reduce(0, +) == configuration.cells.count)
        #expect(Shard(parsing: "3/3") == nil && Shard(parsing: "1/3") == Shard(index: 1, count: 3))
    }
}

/// The message of loading `text` as the configuration file `source` (JSON or YAML by its
/// name), or "no error".
private func loadingError(_ text: String, source: String) -> String {
    do {
        _ = try CurveConfiguration.load(file: Data(text.utf8), source: source)
        return "no error"
    } catch {
        return "\(error)"
    }
}
