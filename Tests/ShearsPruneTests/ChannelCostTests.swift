import ShearsNet
@testable import ShearsPrune
import Testing

@Suite("What one channel of a group costs, and FLOPs regularisation on groups")
struct ChannelCostTests {
    /// resnet-s at a quarter of its widths (a stage spans several producers and consumers),
    /// and a VGG with BatchNorm, a flatten into its hidden layer and a neuron group.
    static let specifications = [
        ResNet.small,
        VGGConfiguration(features: [.conv(4), .pool, .conv(6), .pool], hidden: [5], inputChannels: 1, inputSize: 8,
                         classes: 3, batchNorm: true).graph,
    ]

    @Test("macsPerChannel and parametersPerChannel are what removing one channel of the group takes off the graph")
    func costsMatchRemoval() throws {
        for specification in Self.specifications {
            let network = try GraphNetwork(specification, seed: 1)
            let groups = try DependencyGraph(network.specification).groups.filter(\.isPrunable)
            #expect(groups.count >= 3)
            for (index, group) in groups.enumerated() {
                let copy = try GraphNetwork(specification, seed: 1)
                let copied = try DependencyGraph(copy.specification).groups.filter(\.isPrunable)[index]
                let before = (macs: try copy.specification.macs(), parameters: copy.specification.parameterCount)
                try GroupSurgery.keep(Array(1..<copied.width), of: copied, in: copy)
                let after = (macs: try copy.specification.macs(), parameters: copy.specification.parameterCount)
                let name = network.nodes[group.producers[0]].name
                #expect(before.macs - after.macs == (try group.macsPerChannel(in: network.specification)), "\(name)")
                #expect(before.parameters - after.parameters == group.parametersPerChannel(in: network.specification), "\(name)")
            }
        }
    }

    @Test("FLOPs regularisation subtracts λ · 2 · macsPerChannel / 1e9 from every score (Molchanov 2017, eq. 9) and keeps the rest")
    func regularisedScores() throws {
        let network = try GraphNetwork(ResNet.small, seed: 1)
        let groups = try DependencyGraph(network.specification).prunableGroups(at: .filter)
        let base = GroupNormCriterion(p: 1), lambda = 3.5
        let regularized = FlopsRegularizedCriterion(base, lambda: lambda)
        let raw = try base.scores(network, groups: groups, calibration: nil)
        let scores = try regularized.scores(network, groups: groups, calibration: nil)
        for (group, (rawScores, groupScores)) in zip(groups, zip(raw, scores)) {
            let penalty = lambda * 2 * Double(try group.macsPerChannel(in: network.specification)) / 1e9
            #expect(penalty > 0)
            #expect(zip(rawScores, groupScores).allSatisfy { abs($0 - penalty - $1) <= 1e-12 * max(1, abs($0)) })
        }
        #expect(regularized.name == "l1" && regularized.input == .weights && !regularized.scoresComparableAcrossGroups)
    }
}
