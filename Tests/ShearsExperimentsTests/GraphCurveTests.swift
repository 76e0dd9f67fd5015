import Foundation
@testable import ShearsExperiments
import ShearsNet
import ShearsPrune
import Testing

/// `shears curve --model resnet-s`: the curve runner on a graph network.
@Suite("Curves on graph networks")
struct GraphCurveTests {
    let train = Dataset.synthetic(count: 128, classCount: 10, seed: 1)
    let test = Dataset.synthetic(count: 32, classCount: 10, seed: 2)

    func configuration(checkpoint: String) -> CurveConfiguration {
        var configuration = CurveConfiguration()
        configuration.model = "resnet-s"
        configuration.checkpoint = checkpoint
        configuration.criteria = ["l1", "taylor"]
        configuration.schedules = [.iterative]
        configuration.flopsTargets = [0.7, 0.5]
        configuration.fineTuneSteps = 2
        configuration.batchSize = 16
        configuration.scoringSamples = 16
        configuration.latencyImages = 1
        configuration.ranking = .perLayer
        return configuration
    }

    @Test("resnet-s prunes to each target with a control, resumes from its chain, and rows match the saved models")
    func resnetCurve() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("graph-curve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let checkpoint = directory.appendingPathComponent("base.safetensors").path
        try GraphNetwork(ResNet.small, seed: 5).save(to: checkpoint)
        let configuration = configuration(checkpoint: checkpoint)
        try configuration.validate(source: "test")
        let store = CurveStore(csvPath: directory.appendingPathComponent("curve.csv").path)
        try store.openManifest(CurveManifest(configuration: configuration, shards: [.whole], threads: 1))
        try CurveRunner<GraphNetwork>(configuration: configuration, store: store, shard: .whole, train: train, test: test).run()
        let rows = try store.rows()
        #expect(rows.count == 7 && rows[0].isUnpruned && rows[0].parameters == 272_186 && rows[0].macs == 31_021_952)
        let pruned = rows.filter { !$0.isUnpruned && !$0.isControl }
        #expect(pruned.count == 4 && pruned.allSatisfy { $0.flopsRatio <= ($0.step == 1 ? 0.7 : 0.5) && $0.flopsRatio > 0.35 })
        #expect(rows.filter(\.isControl).allSatisfy { $0.flopsRatio == 1 && $0.macs == 31_021_952 })
        // The chain's saved model is the model of its last row.
        let saved = try GraphNetwork.load(from: store.statePath(CurveCell(criterion: "l1", granularity: .filter,
                                                                        schedule: .iterative, seed: 1))).model
        let last = pruned.first { $0.criterion == "l1" && $0.step == 2 }!
        #expect(try saved.specification.macs() == last.macs && saved.parameterCountWithOffsets == last.parameters)
        // Everything done: a second run adds nothing.
        try CurveRunner<GraphNetwork>(configuration: configuration, store: store, shard: .whole, train: train, test: test).run()
        #expect(try store.rows().count == 7)
    }

    @Test("vgg-s built with BatchNorm: bn-scale is checked on the checkpoint's graph, not the preset's, and prunes it")
    func batchNormVGGCurve() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("graph-bn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var vgg = VGGConfiguration.vggS.scaled(by: 0.25)
        vgg.batchNorm = true
        let checkpoint = directory.appendingPathComponent("base.safetensors").path
        let base = try GraphNetwork(vgg.graph, seed: 6)
        try base.save(to: checkpoint)
        var configuration = configuration(checkpoint: checkpoint)
        (configuration.model, configuration.criteria, configuration.flopsTargets) = ("vgg-s", ["bn-scale"], [0.6])
        // The preset has no BatchNorm; the checkpoint, which has vgg-s's layers with BatchNorm, does.
        #expect(GraphNetwork.curveLayouts(of: "vgg-s").contains(where: base.specification.hasLayout(of:)))
        #expect(!base.specification.hasLayout(of: GraphNetwork.curvePresets["vgg-s"]!))
        #expect(throws: CurveConfigurationError.self) { try configuration.validate(source: "c", network: GraphNetwork.curvePresets["vgg-s"]) }
        try configuration.validate(source: "c")
        try configuration.validate(source: "c", network: base.specification)
        let store = CurveStore(csvPath: directory.appendingPathComponent("curve.csv").path)
        try store.openManifest(CurveManifest(configuration: configuration, shards: [.whole], threads: 1))
        try CurveRunner<GraphNetwork>(configuration: configuration, store: store, shard: .whole, train: train, test: test).run()
        let row = try #require(try store.rows().first { $0.criterion == "bn-scale" })
        #expect(row.flopsRatio <= 0.6 && row.flopsRatio > 0.3)
    }

    @Test("an obs step of a resnet-s curve applies OBS's update, whatever compensation is configured, and reaches its target")
    func obsStep() throws {
        var configuration = configuration(checkpoint: "base.safetensors")
        configuration.criteria = ["obs", "l1"]
        configuration.compensation = .leastSquares
        try configuration.validate(source: "test")
        let base = try GraphNetwork(ResNet.small, seed: 5)
        let data = CalibrationData(calibration: train, seed: 1, scoringSamples: 16)
        for criterion in ["obs", "l1"] {
            let model = base.copy()
            let cell = CurveCell(criterion: criterion, granularity: .filter, schedule: .oneShot, seed: 1)
            try model.prune(toFraction: 0.8, of: base, cell: cell, step: 1, configuration: configuration, data: data)
            #expect(try model.specification.macs() <= Int(0.8 * 31_021_952.0))
            // OBS's update and least squares both zero the consumers' removed columns before surgery: nothing to fold.
            #expect(model.nodes.allSatisfy { ($0.layer as? Conv2D)?.outputOffset == nil }, "\(criterion)")
        }
        #expect(GraphNetwork.compensation(try #require(GroupCriteria.named("obs", seed: 0)), configuration) == .obs)
        #expect(GraphNetwork.compensation(try #require(GroupCriteria.named("l1", seed: 0)), configuration) == .leastSquares)
    }

    @Test("resnet-s runs the soft and group-lasso schedules: soft reaches its target, the penalty removes channels")
    func softAndLassoCurve() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("graph-soft-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let checkpoint = directory.appendingPathComponent("base.safetensors").path
        try GraphNetwork(ResNet.small, seed: 5).save(to: checkpoint)
        var configuration = configuration(checkpoint: checkpoint)
        configuration.criteria = ["l1"]
        configuration.schedules = [.soft, .groupLasso]
        configuration.flopsTargets = [0.6]
        configuration.penaltyStrengths = [0.5]
        configuration.fineTuneSteps = 5
        configuration.fineTuneLearningRate = 0.05
        try configuration.validate(source: "test")
        let store = CurveStore(csvPath: directory.appendingPathComponent("curve.csv").path)
        try store.openManifest(CurveManifest(configuration: configuration, shards: [.whole], threads: 1))
        try CurveRunner<GraphNetwork>(configuration: configuration, store: store, shard: .whole, train: train, test: test).run()
        let rows = try store.rows().filter { !$0.isUnpruned }
        let soft = try #require(rows.first { $0.method == "l1/filter/soft" })
        let lasso = try #require(rows.first { $0.method == "group-lasso/filter/group-lasso" })
        #expect(soft.flopsRatio <= 0.6 && soft.flopsRatio > 0.3 && soft.pruneSeconds > 0)
        // At λ = 0.5 the first steps' threshold ηλ√|g| (η = 0.05, |g| ≥ 144) is at least 0.3, the
        // order of a channel's row norm at initialisation: some channels reach zero and go.
        #expect(lasso.flopsRatio < 1 && lasso.pruneSeconds > 0)
        #expect(rows.filter(\.isControl).allSatisfy { $0.flopsRatio == 1 })
    }

    @Test("graph curves refuse what they cannot do, naming the key", arguments: [
        ("criteria", "has unknown criterion 'magic'"),
        ("flopsTargets", "goes down to 0.5; layer pruning of resnet-s reaches no lower than 60% of the FLOPs (all 7 shape-preserving convs replaced by the identity)"),
        ("granularities", "has 'neuron', which resnet-s does not have: granularity 'neuron' cannot apply to the network: it has no hidden linear layer"),
        ("schedules", "cannot combine 'group-lasso' with channel on resnet-s"),
        ("criteria", "has 'bn-scale', which applies to none of vgg-s's filter groups"),
    ])
    func refusals(key: String, reason: String) {
        var configuration = configuration(checkpoint: "base.safetensors")
        switch (key, reason.contains("neuron"), reason.contains("channel on")) {
        case ("criteria", _, _) where reason.contains("vgg-s"): (configuration.model, configuration.criteria) = ("vgg-s", ["bn-scale"])
        case ("criteria", _, _): configuration.criteria = ["l1", "magic"]
        case (_, true, _): configuration.granularities = [.neuron]
        case (_, _, true): (configuration.granularities, configuration.schedules) = ([.channel], [.groupLasso])
        default: (configuration.granularities, configuration.criteria) = ([.layer], ["l1", "random"])
        }
        do {
            try configuration.validate(source: "c.yaml", network: GraphNetwork.curvePresets[configuration.model])
            Issue.record("\(key): no error")
        } catch {
            #expect("\(error)".hasPrefix("c.yaml: '\(key)' \(reason)"), "\(error)")
        }
    }

    @Test("an element or kernel step of a resnet-s curve masks weights until 2 x non-zero MACs reach the target; shapes stay",
          arguments: [("l1", Granularity.element), ("taylor-weight", .kernel)])
    func maskedStep(criterion: String, granularity: Granularity) throws {
        var configuration = configuration(checkpoint: "base.safetensors")
        configuration.criteria = [criterion]
        configuration.granularities = [granularity]
        configuration.ranking = .global
        try configuration.validate(source: "test")
        let base = try GraphNetwork(ResNet.small, seed: 5)
        let model = base.copy()
        let cell = CurveCell(criterion: criterion, granularity: granularity, schedule: .oneShot, seed: 1)
        try model.prune(toFraction: 0.5, of: base, cell: cell, step: 1, configuration: configuration,
                        data: CalibrationData(calibration: train, seed: 1, scoringSamples: 16))
        let (cost, baseCost) = (model.curveCost(counting: granularity), base.curveCost(counting: granularity))
        #expect(baseCost.flops == 2 * 31_021_952 && cost.macs == 31_021_952 && cost.parameters == 272_186)
        #expect(cost.flops <= baseCost.flops / 2 && cost.flops > baseCost.flops * 49 / 100, "\(cost.flops)")
        #expect(cost.nonZeroParameters < baseCost.nonZeroParameters)
        #expect(model.curveCost(counting: .filter).flops == baseCost.flops)
    }

    @Test("a shape step of a resnet-s curve removes conv columns until 2 x MACs (kept columns counted) reach the target, and prunes again",
          arguments: ["l1", "taylor-weight"])
    func shapeStep(criterion: String) throws {
        var configuration = configuration(checkpoint: "base.safetensors")
        configuration.criteria = [criterion]
        configuration.granularities = [.shape]
        configuration.ranking = .global
        try configuration.validate(source: "test")
        let base = try GraphNetwork(ResNet.small, seed: 5)
        let model = base.copy()
        let cell = CurveCell(criterion: criterion, granularity: .shape, schedule: .iterative, seed: 1)
        let data = CalibrationData(calibration: train, seed: 1, scoringSamples: 16)
        let baseCost = base.curveCost(counting: .shape)
        for (step, fraction) in [0.7, 0.5].enumerated() {
            try model.prune(toFraction: fraction, of: base, cell: cell, step: step + 1, configuration: configuration, data: data)
            let cost = model.curveCost(counting: .shape)
            // Overshoot below one column's saving, at most 16 filters x 28 x 28 pixels (= 32 x 14² = 64 x 7²) MACs, < 1% here.
            let target = Int(fraction * Double(baseCost.flops))
            #expect(cost.flops <= target && cost.flops > target - baseCost.flops / 100, "\(cost.flops)")
            #expect(cost.parameters < baseCost.parameters && cost.flops == 2 * cost.macs)
        }
        let x = train.batch(Array(0..<4)[...]).images
        #expect(model.copy().forward(x, training: false) == model.forward(x, training: false))
    }

    @Test("graph curves at element and kernel refuse per-layer ranking, compensation, soft pruning and activation criteria",
          arguments: [("ranking", "must be 'global' for element on resnet-s"),
                      ("compensation", "must be 'none' with element on resnet-s"),
                      ("schedules", "cannot combine 'soft' with element on resnet-s"),
                      ("criteria", "granularity 'element' cannot apply to criterion 'apoz'")])
    func maskedRefusals(key: String, reason: String) {
        var configuration = configuration(checkpoint: "base.safetensors")
        configuration.criteria = ["l1"]
        configuration.granularities = [.filter, .element]
        configuration.ranking = .global
        switch key {
        case "ranking": configuration.ranking = .perLayer
        case "compensation": configuration.compensation = .leastSquares
        case "schedules": configuration.schedules = [.soft]
        default: configuration.criteria = ["l1", "apoz"]
        }
        do {
            try configuration.validate(source: "c.yaml", network: GraphNetwork.curvePresets[configuration.model])
            Issue.record("\(key): no error")
        } catch {
            #expect("\(error)".hasPrefix("c.yaml: '\(key)' \(reason)"), "\(error)")
        }
    }
}
