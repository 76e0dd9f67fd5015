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

    // None of these VGG criteria normalises per layer (only the Taylor forms do), so the
    // scores compare as they are.
    @Test("each group's scores equal the VGG criterion's filter scores (convs) and neuron scores (hidden layer)",
          arguments: ["activation", "activation-std", "apoz", "obd", "oracle", "oracle-abs"], [false, true])
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
}
