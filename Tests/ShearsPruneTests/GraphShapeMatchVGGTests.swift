import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("Shape criteria and pruning on a VGG's graph equal the VGG path's")
struct GraphShapeMatchVGGTests {
    let data = Dataset.synthetic(count: 12, height: 8, width: 8, classCount: 3, seed: 1)

    /// The graph criterion `name` reading the same batches as `CriterionEngine(batchSize: 5)`.
    func criterion(_ name: String) throws -> any MaskedCriterion {
        switch name {
        case "taylor-weight": MaskedTaylorWeightCriterion(batchSize: 5)
        case "obd": MaskedObdCriterion(batchSize: 5)
        case "obd-exact": MaskedObdCriterion(exact: true, batchSize: 5)
        case "oracle", "oracle-abs": MaskedOracleCriterion(signed: name == "oracle", batchSize: 5)
        case "obs-no-update": MaskedObsCriterion(batchSize: 5)
        case "obs": MaskedObsCriterion(batchSize: 5, update: true)
        default: try MaskedCriteria.named(name, granularity: .shape, seed: 7)
        }
    }

    @Test("every conv's column scores equal the VGG criterion's at shape, in the same layer order",
          arguments: ["l1", "lp:3", "random", "taylor-weight", "taylor-sq", "obd", "obd-exact", "obs-no-update", "obs", "oracle",
                      "oracle-abs"])
    func matchesVGG(name: String) throws {
        let vgg = smallVGGWithBatchNorm()
        let network = try vgg.asGraph()
        let layers = try MaskedLayer.columns(in: network)
        #expect(layers.map(\.name) == ["features.0", "features.4"])
        #expect(layers.map(\.layout.groupCount) == [9, 36])
        let scores = try criterion(name).scores(network, layers: layers, calibration: data)
        let expected = try CriterionEngine(data: data, seed: 7, batchSize: 5)
            .scores(vgg, criterion: try CriterionName(parsing: name), granularity: .shape)
        #expect(scores.map(\.count) == expected.map(\.scores.count))
        for (layer, (computed, byVGG)) in zip(scores, expected.map(\.scores)).enumerated() {
            let scale = byVGG.map(abs).max() ?? 0
            #expect(scale > 0, "layer \(layer): all scores are zero")
            // OBD's per-example scaling is in Float on VGG, in Double on graphs (see the masked test).
            let worst = zip(computed, byVGG).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-6 * scale, "layer \(layer): worst difference \(worst) of \(scale)")
        }
    }

    @Test("pruning a share of the columns removes the columns the VGG planner's global plan removes, obs with the same update",
          arguments: ["l1", "random", "obd", "obs"])
    func sameColumnsAsVGG(name: String) throws {
        let vgg = smallVGGWithBatchNorm()
        let network = try vgg.asGraph()
        let ratio = 0.4
        try GraphShapePruning.prune(network, columnFraction: ratio, criterion: try criterion(name), calibration: data)
        let parsed = try CriterionName(parsing: name)
        let scores = try CriterionEngine(data: data, seed: 7, batchSize: 5).scores(vgg, criterion: parsed, granularity: .shape)
        let plan = try Planner.plan(scores, granularity: .shape, ratio: ratio, ranking: .global)
        try Surgeon.apply(plan, to: vgg, compensation: parsed.definingCompensation, data: data, batchSize: 5)
        #expect(vgg.convolutions.contains { $0.layer.patchRows != nil })
        for (position, conv) in vgg.convolutions {
            let node = try #require(network.nodes.first { $0.name == "features.\(position)" }?.layer as? Conv2D)
            #expect(node.patchRows == conv.patchRows, "features.\(position)")
            let worst = zip(node.weight.value.values, conv.weight.value.values).map { abs($0 - $1) }.max() ?? 0
            let scale = conv.weight.value.values.map(abs).max() ?? 0
            // Both apply the same Double OBS update to the same Float weights; Hessians summed in the same order.
            #expect(node.weight.value.shape == conv.weight.value.shape && worst <= 1e-5 * scale, "features.\(position): \(worst)")
        }
        let (images, _) = data.batch(Array(0..<data.count)[...])
        let (graph, byVGG) = (network.forward(images, training: false), vgg.forward(images, training: false))
        #expect(zip(graph.values, byVGG.values).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) })
    }
}
