import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("Pruning vgg-s's graph by a ratio, and requests that cannot be met")
struct GroupPrunerRequestsTests {
    @Test("per-layer l1 filter pruning removes each conv's smallest filters and the MACs fall as counted by hand")
    func filterPruning() throws {
        let network = try GraphNetwork(VGGConfiguration.vggS.graph, seed: 1)
        let conv0 = try #require(network.nodes[nodeIndex(network, "features.0")].layer as? Conv2D)
        // Make filters 3 and 7 of conv0 the smallest by l1.
        for f in [3, 7] { for i in 0..<9 { conv0.weight.value.values[f * 9 + i] *= 0.001 } }
        let rows = conv0.weight.value.values
        let l1 = (0..<32).map { f in rows[(f * 9)..<((f + 1) * 9)].reduce(0.0) { $0 + Double(abs($1)) } }
        let kept = (0..<32).sorted { (l1[$0], $0) < (l1[$1], $1) }.dropFirst(8).sorted()
        #expect(!kept.contains(3) && !kept.contains(7))
        let changes = try GroupPruner.prune(network, criterion: GroupNormCriterion(p: 1), ratio: 0.25)
        #expect(changes.map(\.group) == ["features.0", "features.2", "features.5", "features.7", "features.10"])
        #expect(changes.map(\.after) == [24, 24, 48, 48, 96])
        #expect(conv0.weight.value.values == kept.flatMap { rows[($0 * 9)..<(($0 + 1) * 9)] })
        // Hand count: 1·24·9·784 + 24·24·9·784 + 24·48·9·196 + 48·48·9·196 + 48·96·9·49 + 864·256 + 256·10.
        let expectedMacs = 24 * 9 * 784 + 24 * 24 * 9 * 784 + 24 * 48 * 9 * 196 + 48 * 48 * 9 * 196 + 48 * 96 * 9 * 49
            + 864 * 256 + 2560
        #expect(try network.specification.macs() == expectedMacs)
        #expect(network.specification.parameterCount == (24 * 9 + 24) + (24 * 24 * 9 + 24) + (24 * 48 * 9 + 48)
                    + (48 * 48 * 9 + 48) + (48 * 96 * 9 + 96) + (864 * 256 + 256) + 2570)
    }

    @Test("ratios outside [0, 1) are refused at every granularity and leave the network untouched; every group keeps a channel")
    func badRequests() throws {
        let network = try GraphNetwork(VGGConfiguration.vggS.scaled(by: 0.25).graph, seed: 4)
        let before = network.stateTensors
        #expect(throws: PruningError.ratioOutOfRange(1)) { try GroupPruner.prune(network, criterion: GroupNormCriterion(p: 2), ratio: 1) }
        #expect(throws: PruningError.ratioOutOfRange(-0.1)) {
            try GroupPruner.prune(network, criterion: GroupNormCriterion(p: 2), ratio: -0.1)
        }
        #expect(throws: PruningError.ratioOutOfRange(1)) {
            try GraphMaskedPruning.prune(network, weightFraction: 1, granularity: .kernel, criterion: MaskedNormCriterion(p: 2))
        }
        #expect(throws: PruningError.ratioOutOfRange(1)) {
            try GraphShapePruning.prune(network, columnFraction: 1, criterion: MaskedNormCriterion(p: 2))
        }
        #expect(network.stateTensors == before)
        let mlp = try GraphNetwork(VGGConfiguration.mlp(inputChannels: 1, inputSize: 2, hidden: [2, 8], classes: 2).graph, seed: 5)
        #expect(throws: PruningError.self) { try GroupPruner.prune(mlp, criterion: GroupNormCriterion(p: 1), ratio: 0.5) }
        #expect(throws: PruningError.self) { try MaskedLayer.all(in: mlp, granularity: .kernel) }
        // Normalised, the two-neuron layer's scores fall below most of the eight-neuron layer's:
        // 0.9 of all ten would empty it, but every group keeps one.
        let changes = try GroupPruner.prune(mlp, criterion: GroupNormCriterion(p: 1), ratio: 0.9, granularity: .neuron,
                                            ranking: .global)
        #expect(changes.map(\.before) == [2, 8] && changes.allSatisfy { $0.after >= 1 }, "\(changes)")
    }
}
