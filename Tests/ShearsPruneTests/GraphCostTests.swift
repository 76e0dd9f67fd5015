import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("MACs and parameters of graph networks")
struct GraphCostTests {
    @Test("vgg-s: every layer as in the reference table")
    func vggS() throws {
        let specification = VGGConfiguration.vggS.graph
        let names = ["features.0", "features.2", "features.5", "features.7", "features.10", "classifier.0", "classifier.2"]
        let indices = try names.map { name in try #require(specification.nodes.firstIndex { $0.name == name }) }
        let macs = try specification.macsPerNode()
        #expect(indices.map { specification.parameterCount(of: $0) } == [320, 9_248, 18_496, 36_928, 73_856, 295_168, 2_570])
        #expect(indices.map { macs[$0] } == [225_792, 7_225_344, 3_612_672, 7_225_344, 3_612_672, 294_912, 2_560])
        let total = try specification.macs()
        #expect(specification.parameterCount == 436_586 && total == 22_199_296)
        #expect(macs.reduce(0, +) == 22_199_296, "only convs and linear layers cost MACs")
    }

    @Test("VGG-16 at 224 x 224 costs 15.47 GMACs")
    func vgg16() throws {
        var configuration = VGGConfiguration.vgg16
        configuration.inputSize = 224
        configuration.hidden = [4096, 4096]
        configuration.classes = 1000
        let macs = try configuration.graph.macs()
        #expect(abs(Double(macs) / 1e9 - 15.47) <= 0.01, "\(macs) MACs")
    }

    @Test("after surgery the counts follow the new shapes; zeroed weights drop only the non-zero MACs")
    func afterSurgery() throws {
        let network = try GraphNetwork(VGGConfiguration.vggS.graph, seed: 2)
        let first = try #require(try DependencyGraph(network.specification).prunableGroups.first)
        try GroupSurgery.keep(Array(0..<16), of: first, in: network)
        let (conv0, conv1) = (nodeIndex(network, "features.0"), nodeIndex(network, "features.2"))
        let macs = try network.specification.macsPerNode()
        // conv0: 16x1x3x3 + 16 = 160 parameters, 144·784 MACs; conv1: 32x16x3x3 + 32 = 4,640, 4,608·784.
        #expect(network.specification.parameterCount(of: conv0) == 160 && macs[conv0] == 144 * 784)
        #expect(network.specification.parameterCount(of: conv1) == 4_640 && macs[conv1] == 4_608 * 784)
        let (dense, nonZero) = (network.macs, network.nonZeroMacs)
        let counted = try network.specification.macs()
        #expect(dense == counted && nonZero == dense)
        let weight = network.nodes[conv1].layer!.parameters[0]
        for i in 0..<144 { weight.value.values[i] = 0 }
        #expect(network.macs == dense && network.nonZeroMacs == dense - 144 * 784)
    }
}
