import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("Planning and surgery with weight criteria")
struct PlannerTests {
    @Test("per-layer l1 filter pruning removes the smallest filters and the FLOPs fall as computed by hand")
    func filterPruning() throws {
        let model = VGG(.vggS, seed: 1)
        let conv0 = model.convolutions[0].layer
        // Make filters 3 and 7 of conv0 the smallest by l1.
        for f in [3, 7] { for i in 0..<9 { conv0.weight.value.values[f * 9 + i] *= 0.001 } }
        let scores = try WeightCriteria.norms(model, granularity: .filter, p: 1)
        #expect(scores.map(\.groups.count) == [32, 32, 64, 64, 128])
        let plan = try Planner.plan(scores, granularity: .filter, ratio: 0.25, ranking: .perLayer)
        #expect(plan.removals[.convolution(0)]?.count == 8)
        #expect(plan.removals[.convolution(0)]?.contains(3) == true && plan.removals[.convolution(0)]?.contains(7) == true)
        let before = ModelCost(model)
        try Surgeon.apply(plan, to: model)
        #expect(model.configuration.features == [.conv(24), .conv(24), .pool, .conv(48), .conv(48), .pool, .conv(96), .pool])
        // Hand count: 1·24·9·784 + 24·24·9·784 + 24·48·9·196 + 48·48·9·196 + 48·96·9·49 + 864·256 + 256·10.
        let expectedMacs = 24 * 9 * 784 + 24 * 24 * 9 * 784 + 24 * 48 * 9 * 196 + 48 * 48 * 9 * 196 + 48 * 96 * 9 * 49
            + 864 * 256 + 2560
        let after = ModelCost(model)
        #expect(after.macs == expectedMacs && after.macs < before.macs)
        // Plus the output offsets folded from removed filters whose output was not zero.
        let offsets = model.convolutions.reduce(0) { $0 + ($1.layer.outputOffset?.count ?? 0) }
        #expect(after.parameters == (24 * 9 + 24) + (24 * 24 * 9 + 24) + (24 * 48 * 9 + 48) + (48 * 48 * 9 + 48)
                    + (48 * 96 * 9 + 96) + (864 * 256 + 256) + 2570 + offsets)
    }

    @Test("the saved cost of one filter equals the drop in the model's MACs")
    func groupCosts() throws {
        for k in 0..<5 {
            let model = VGG(.vggS, seed: 2)
            let groups = try GroupEnumeration.groups(of: model, at: .filter)
            let before = ModelCost(model).macs
            model.keepFilters(ofConvolution: k, Array(1..<model.convolutions[k].layer.outChannels))
            #expect(before - ModelCost(model).macs == groups[k].macsPerGroup[0], "conv\(k)")
        }
    }

    @Test("global ranking normalises each layer by its l2 norm")
    func globalRanking() throws {
        let model = VGG(.mlp(inputChannels: 1, inputSize: 2, hidden: [4, 4], classes: 2), seed: 3)
        let groups = try GroupEnumeration.groups(of: model, at: .neuron)
        // Layer 0 scores are 100x layer 1's, but after normalisation layer 0's 0.1 is the lowest.
        let scores = [LayerScores(groups: groups[0], scores: [10, 100, 100, 100]),
                      LayerScores(groups: groups[1], scores: [0.5, 1, 1, 1])]
        let plan = try Planner.plan(scores, granularity: .neuron, ratio: 0.125, ranking: .global)
        #expect(plan.removals == [.linear(0): [0]])
    }

    @Test("impossible requests are errors and leave the model untouched")
    func badRequests() throws {
        let model = VGG(.vggS, seed: 4)
        let scores = try WeightCriteria.norms(model, granularity: .filter, p: 2)
        #expect(throws: PruningError.ratioOutOfRange(1)) { try Planner.plan(scores, granularity: .filter, ratio: 1, ranking: .perLayer) }
        #expect(throws: PruningError.ratioOutOfRange(-0.1)) { try Planner.plan(scores, granularity: .filter, ratio: -0.1, ranking: .perLayer) }
        let mlp = VGG(.mlp(inputChannels: 1, inputSize: 2, hidden: [2, 8], classes: 2), seed: 5)
        let groups = try GroupEnumeration.groups(of: mlp, at: .neuron)
        // Normalised, layer 0's scores (0.71 each) fall below all but one of layer 1's: 0.9 would empty layer 0.
        let lopsided = [LayerScores(groups: groups[0], scores: [1, 1]),
                        LayerScores(groups: groups[1], scores: [1, 1, 1, 1, 1, 1, 1, 100])]
        #expect(throws: PruningError.wouldEmptyLayer(layer: "classifier.0", groups: 2, removing: 2)) {
            try Planner.plan(lopsided, granularity: .neuron, ratio: 0.9, ranking: .global)
        }
        #expect(throws: PruningError.self) { _ = try WeightCriteria.norms(mlp, granularity: .filter, p: 1) }
        #expect(throws: PruningError.self) { _ = try WeightCriteria.norms(mlp, granularity: .kernel, p: 1) }
    }

    @Test("element and kernel pruning mask weights; the dense shape stays and non-zero MACs fall")
    func masks() throws {
        let model = VGG(.vggS, seed: 6)
        let plan = try Planner.plan(try WeightCriteria.norms(model, granularity: .kernel, p: 2), granularity: .kernel,
                                    ratio: 0.5, ranking: .perLayer)
        try Surgeon.apply(plan, to: model)
        let cost = ModelCost(model)
        #expect(cost.macs == 22_199_296)
        let conv1 = cost.layers[1]
        #expect(conv1.nonZeroMacs == conv1.macs / 2)
        #expect(model.convolutions[1].layer.weight.mask?.filter { $0 == 0 }.count == 32 * 32 * 9 / 2)
    }

    @Test("channel pruning removes the producing filter and the consumer's input channel")
    func channels() throws {
        let model = VGG(.vggS, seed: 7)
        let plan = try Planner.plan(try WeightCriteria.random(model, granularity: .channel, seed: 8), granularity: .channel,
                                    ratio: 0.5, ranking: .perLayer)
        #expect(Set(plan.removals.keys) == [.convolution(1), .convolution(2), .convolution(3), .convolution(4)])
        try Surgeon.apply(plan, to: model)
        #expect(model.configuration.features == [.conv(16), .conv(16), .pool, .conv(32), .conv(32), .pool, .conv(128), .pool])
    }
}

extension LayerScores: Equatable {
    public static func == (a: LayerScores, b: LayerScores) -> Bool { a.groups.name == b.groups.name && a.scores == b.scores }
}
