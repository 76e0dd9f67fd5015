import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("Element and kernel criteria on a VGG's graph equal the VGG criteria")
struct GraphMaskedCriteriaMatchVGGTests {
    let data = Dataset.synthetic(count: 12, height: 8, width: 8, classCount: 3, seed: 1)

    @Test("every layer's element or kernel scores equal the VGG criterion's, in the same layer order",
          arguments: ["l1", "lp:3", "random", "taylor-weight", "taylor-sq", "obd", "obd-exact", "obs-no-update", "oracle",
                      "oracle-abs"],
          [Granularity.element, .kernel])
    func matchesVGG(name: String, granularity: Granularity) throws {
        let vgg = smallVGGWithBatchNorm()
        let network = try vgg.asGraph()
        let layers = try MaskedLayer.all(in: network, granularity: granularity)
        #expect(layers.map(\.name) == (granularity == .element ? ["features.0", "features.4", "classifier.0", "classifier.2"]
                                                              : ["features.0", "features.4"]))
        // The same batches on both sides: the gradients are then summed in the same order.
        let criterion: any MaskedCriterion = switch name {
        case "taylor-weight": MaskedTaylorWeightCriterion(batchSize: 5)
        case "obd": MaskedObdCriterion(batchSize: 5)
        case "obd-exact": MaskedObdCriterion(exact: true, batchSize: 5)
        case "oracle", "oracle-abs": MaskedOracleCriterion(signed: name == "oracle", batchSize: 5)
        case "obs-no-update": MaskedObsCriterion(batchSize: 5)
        default: try MaskedCriteria.named(name, granularity: granularity, seed: 7)
        }
        let scores = try criterion.scores(network, layers: layers, calibration: data)
        let expected = try CriterionEngine(data: data, seed: 7, batchSize: 5)
            .scores(vgg, criterion: try CriterionName(parsing: name), granularity: granularity)
        #expect(scores.map(\.count) == expected.map(\.scores.count))
        #expect(expected.allSatisfy { $0.comparableAcrossLayers == criterion.scoresComparableAcrossLayers })
        for (layer, (computed, byVGG)) in zip(scores, expected.map(\.scores)).enumerated() {
            let scale = byVGG.map(abs).max() ?? 0
            #expect(scale > 0, "layer \(layer): all scores are zero")
            // OBD scales each per-example gradient by the batch size in Float on VGG and in
            // Double on graphs: a relative difference near Float's 6e-8 per term.
            let worst = zip(computed, byVGG).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-6 * scale, "layer \(layer): worst difference \(worst) of \(scale)")
        }
    }

    @Test("criteria of a unit's activations, group-only ones and obs (defined with its update) are refused at element and kernel in one line",
          arguments: ["activation", "activation-std", "apoz", "taylor", "taylor-batch", "bn-scale", "obs"],
          [Granularity.element, .kernel])
    func refusals(name: String, granularity: Granularity) {
        #expect {
            _ = try MaskedCriteria.named(name, granularity: granularity, seed: 0)
        } throws: { error in
            guard case let .granularityNotApplicable(refused, layer, _)? = error as? PruningError else { return false }
            return refused == granularity && layer.contains(name) && !"\(error)".contains("\n")
        }
        #expect(throws: PruningError.self) { try MaskedCriteria.named("no-such", granularity: granularity, seed: 0) }
    }
}
