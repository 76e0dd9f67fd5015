import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("Group criteria on a VGG's graph equal the VGG criteria")
struct GroupCriteriaMatchVGGTests {
    let data = Dataset.synthetic(count: 12, height: 8, width: 8, classCount: 3, seed: 1)

    /// Two convs and a hidden layer; with BatchNorm, random statistics so that a silenced
    /// filter leaves a non-trivial constant ReLU(BN(0)).
    func model(batchNorm: Bool) -> VGG {
        let configuration = VGGConfiguration(features: [.conv(4), .pool, .conv(6), .pool], hidden: [5], inputChannels: 1,
                                             inputSize: 8, classes: 3, batchNorm: batchNorm)
        let model = VGG(configuration, seed: 2)
        randomizeNormalization(model.features.layers.compactMap { $0 as? BatchNorm2D }, seed: 3)
        return model
    }

    // None of these VGG criteria normalises per layer (only the activation Taylor forms do),
    // so the scores compare as they are.
    @Test("each group's scores equal the VGG criterion's filter scores (convs) and neuron scores (hidden layer)",
          arguments: ["activation", "activation-std", "apoz", "obd", "obd-exact", "oracle", "oracle-abs", "taylor-sq",
                     "taylor-weight"],
          [false, true])
    func matchesVGG(name: String, batchNorm: Bool) throws {
        let vgg = model(batchNorm: batchNorm)
        let network = try vgg.asGraph()
        let groups = try DependencyGraph(network.specification).prunableGroups
        let criterion = try #require(GroupCriteria.named(name, seed: 0))
        #expect(groups.allSatisfy(criterion.applies))
        let scores = try criterion.scores(network, groups: groups, calibration: data)

        // Different batches on the two sides: the scores do not depend on the batching.
        let engine = CriterionEngine(data: data, seed: 0, batchSize: 5)
        let reference = try CriterionName(parsing: name)
        let expected = try engine.scores(vgg, criterion: reference, granularity: .filter)
            + engine.scores(vgg, criterion: reference, granularity: .neuron)
        #expect(scores.map(\.count) == [4, 6, 5] && expected.map(\.scores.count) == [4, 6, 5])
        for (layer, (computed, byVGG)) in zip(scores, expected.map(\.scores)).enumerated() {
            let scale = byVGG.map(abs).max() ?? 0
            #expect(scale > 0, "layer \(layer): all scores are zero")
            // Float losses summed over other batches and Float gradient scaling differ in the
            // 7th digit; relative to the layer's largest score that is below 1e-5.
            let worst = zip(computed, byVGG).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-5 * scale, "layer \(layer): \(computed) vs \(byVGG)")
        }
    }

    // The VGG `taylor-batch` divides each layer's scores by their l2 norm, which global
    // ranking does anyway; the group form returns them before that division.
    @Test("taylor-batch: each group's scores equal the VGG unit's |mean of a·dl/da| before, and its scores after, the l2 normalisation",
          arguments: [false, true])
    func taylorBatchMatchesVGG(batchNorm: Bool) throws {
        let vgg = model(batchNorm: batchNorm)
        let network = try vgg.asGraph()
        let groups = try DependencyGraph(network.specification).prunableGroups
        let criterion = try #require(GroupCriteria.named("taylor-batch", seed: 0))
        #expect(groups.allSatisfy(criterion.applies))
        let scores = try criterion.scores(network, groups: groups, calibration: data)

        let statistics = ActivationCriteria.gather(vgg, data: data, batchSize: 5)
        let raw = [PrunableLayer.convolution(0), .convolution(1), .linear(0)].map { statistics[$0]!.taylorBatchMagnitude }
        let engine = CriterionEngine(data: data, seed: 0, batchSize: 5)
        let normalised = try engine.scores(vgg, criterion: .taylorBatch, granularity: .filter)
            + engine.scores(vgg, criterion: .taylorBatch, granularity: .neuron)
        #expect(scores.map(\.count) == [4, 6, 5] && raw.map(\.count) == [4, 6, 5])
        for (layer, (computed, byVGG)) in zip(scores, raw).enumerated() {
            let scale = byVGG.max() ?? 0
            #expect(scale > 0, "layer \(layer): all scores are zero")
            // As above: Float gradients summed over other batches agree to about 1e-6 relative.
            #expect(zip(computed, byVGG).allSatisfy { abs($0 - $1) <= 1e-5 * scale }, "layer \(layer): \(computed) vs \(byVGG)")
            let norm = computed.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let unit = computed.map { $0 / norm }
            #expect(zip(unit, normalised[layer].scores).allSatisfy { abs($0 - $1) <= 1e-5 }, "layer \(layer): \(unit)")
        }
    }

    @Test("the group Taylor forms are registered under their CLI names and need calibration images",
          arguments: ["taylor", "taylor-batch", "taylor-sq", "taylor-weight"])
    func registration(name: String) throws {
        #expect(GroupCriteria.names.contains(name))
        #expect(try CriterionName(parsing: name).description == name)
        let criterion = try #require(GroupCriteria.named(name, seed: 0))
        #expect(criterion.name == name && criterion.input == .calibrationImages)
        let network = try model(batchNorm: false).asGraph()
        let groups = try DependencyGraph(network.specification).prunableGroups
        #expect(throws: PruningError.self) { try criterion.scores(network, groups: groups, calibration: nil) }
    }
}
