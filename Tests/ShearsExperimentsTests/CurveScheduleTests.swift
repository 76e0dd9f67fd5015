import Foundation
@testable import ShearsExperiments
import ShearsNet
import ShearsPrune
import Testing

@Suite("Curve schedules: group-lasso, soft and stepwise rows")
struct CurveScheduleTests {
    /// The pruning and control rows of a small l2 curve on a quarter-width vgg-s and synthetic
    /// data, after `configure` sets its schedules and points.
    func smallCurve(_ configure: (inout CurveConfiguration) -> Void) throws -> [CurveRow] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("schedules-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let checkpoint = directory.appendingPathComponent("base.safetensors").path
        try GraphNetwork(VGGConfiguration.vggS.scaled(by: 0.25).graph, seed: 4).save(to: checkpoint)
        var configuration = CurveConfiguration()
        configuration.checkpoint = checkpoint
        configuration.criteria = ["l2"]
        configuration.batchSize = 16
        configuration.scoringSamples = 16
        configuration.latencyImages = 1
        configure(&configuration)
        let store = CurveStore(csvPath: directory.appendingPathComponent("c.csv").path)
        try store.openManifest(CurveManifest(configuration: configuration, shards: [.whole], threads: 1))
        try CurveRunner<GraphNetwork>(configuration: configuration, store: store, shard: .whole,
                        train: Dataset.synthetic(count: 128, seed: 5), test: Dataset.synthetic(count: 32, seed: 6)).run()
        return try store.rows().filter { !$0.isUnpruned }
    }

    @Test("group-lasso and soft schedules write rows: the penalty path lowers FLOPs, soft pruning reaches its targets")
    func schedulesInACurve() throws {
        let all = try smallCurve { configuration in
            configuration.schedules = [.groupLasso, .soft]
            configuration.flopsTargets = [0.5]
            configuration.penaltyStrengths = [0.5, 4]
            configuration.fineTuneSteps = 5
            configuration.fineTuneLearningRate = 0.05
        }
        let controls = all.filter(\.isControl), rows = all.filter { !$0.isControl }
        #expect(controls.map(\.method) == ["control/none/group-lasso", "control/none/group-lasso", "control/none/soft"])
        #expect(controls.allSatisfy { $0.flopsRatio == 1 && $0.fineTuneSeconds > 0 && $0.pruneSeconds == 0 })
        #expect(rows.map(\.method) == ["group-lasso/filter/group-lasso", "group-lasso/filter/group-lasso", "l2/filter/soft"])
        #expect(rows[1].flopsRatio < rows[0].flopsRatio && rows[0].flopsRatio < 1)
        #expect(rows[2].flopsRatio <= 0.5 && rows[2].pruneSeconds > 0 && rows[2].fineTuneSeconds > 0)
    }

    @Test("LASSO at element masks the weights its path zeroes: non-zero FLOPs fall as λ grows")
    func lassoOnElements() throws {
        let rows = try smallCurve { configuration in
            configuration.schedules = [.groupLasso]
            configuration.granularities = [.element]
            configuration.penaltyStrengths = [0.5, 4]
            configuration.fineTuneSteps = 5
            configuration.fineTuneLearningRate = 0.05
        }.filter { !$0.isControl }
        #expect(rows.map(\.method) == ["lasso/element/group-lasso", "lasso/element/group-lasso"])
        #expect(rows[1].flopsRatio < rows[0].flopsRatio && rows[0].flopsRatio < 1 && rows[1].sparsity > rows[0].sparsity)
        // Masks remove no unit: the dense MACs stay.
        #expect(rows[0].macs == rows[1].macs)
    }

    @Test("stepwise walks down in flopsPerStep decrements between operating points; other schedules take one phase")
    func stepwisePhases() {
        var configuration = CurveConfiguration()
        configuration.flopsTargets = [0.9, 0.75]
        configuration.flopsPerStep = 0.02
        configuration.stepFineTuneSteps = 7
        let first = configuration.phases(.stepwise, step: 0), second = configuration.phases(.stepwise, step: 1)
        #expect(zip(first.map { $0.target! }, [0.98, 0.96, 0.94, 0.92, 0.9]).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(second.count == 8 && abs(second.last!.target! - 0.75) < 1e-12 && abs(second[6].target! - 0.76) < 1e-12)
        #expect(first.allSatisfy { $0.fineTuneSteps == 7 } && Set((first + second).map(\.seedStep)).count == 13)
        #expect(configuration.phases(.iterative, step: 1) == [CurvePhase(target: 0.75, fineTuneSteps: 100, seedStep: 1)])
    }

    @Test("a stepwise curve reaches each target through several removals and its control fine-tunes as often")
    func stepwiseCurve() throws {
        let rows = try smallCurve { configuration in
            configuration.schedules = [.stepwise]
            configuration.flopsTargets = [0.8, 0.6]
            configuration.flopsPerStep = 0.1
            configuration.stepFineTuneSteps = 2
        }
        #expect(rows.map(\.method) == ["control/none/stepwise", "control/none/stepwise", "l2/filter/stepwise", "l2/filter/stepwise"])
        #expect(rows[2].flopsRatio <= 0.8 && rows[2].flopsRatio > 0.6 && rows[3].flopsRatio <= 0.6)
        // Two removals per point (0.9 then 0.8; 0.7 then 0.6), each followed by fine-tuning.
        #expect(rows[2].pruneSeconds > 0 && rows[0].pruneSeconds == 0 && rows.allSatisfy { $0.fineTuneSeconds > 0 })
    }
}
