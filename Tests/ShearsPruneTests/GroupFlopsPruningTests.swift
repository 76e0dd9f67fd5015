import Foundation
import ShearsNet
@testable import ShearsPrune
import Testing

/// Graphs pruned to a FLOPs target through their dependency groups (`GroupPruner.prune(_:toFlops:…)`).
@Suite("Graph pruning to a FLOPs target")
struct GroupFlopsPruningTests {
    func smallResNet(seed: UInt64) throws -> GraphNetwork {
        let network = try GraphNetwork(ResNet.specification(inputShape: [1, 12, 12], widths: [8, 12], blocksPerStage: 2, classes: 4),
                                       seed: seed)
        randomizeNormalization(network, seed: seed + 1)
        return network
    }

    @Test("the per-channel saving estimate is exact for a group removed alone", arguments: [0, 1, 2, 3, 4])
    func savingEstimate(groupIndex: Int) throws {
        let network = try smallResNet(seed: 1)
        let groups = try DependencyGraph(network.specification).prunableGroups
        let group = groups[groupIndex]
        let estimate = try GroupPruner.channelSavings(groups, in: network.specification)[groupIndex]
        let before = try network.specification.macs()
        try GroupSurgery.keep(Array(1..<group.width), of: group, in: network)
        #expect(before - (try network.specification.macs()) == estimate)
    }

    @Test("both rankings reach the target, keep every group's floor, and stop near the target", arguments: [Ranking.global, .perLayer])
    func reachesTarget(ranking: Ranking) throws {
        for target in [0.7, 0.4] {
            let network = try smallResNet(seed: 2)
            let base = 2 * (try network.specification.macs())
            let floors = try GroupPruner.floors(network, minimumKeep: 0.25)
            let widths = try DependencyGraph(network.specification).prunableGroups.map { ($0.producers[0], $0.width) }
            let limit = Int(target * Double(base))
            try GroupPruner.prune(network, toFlops: limit, criterion: GroupNormCriterion(p: 2), ranking: ranking, floors: floors)
            let reached = 2 * (try network.specification.macs())
            #expect(reached <= limit && Double(reached) > (target - 0.15) * Double(base), "\(ranking) \(target): \(reached) of \(base)")
            for group in try DependencyGraph(network.specification).prunableGroups {
                let original = widths.first { $0.0 == group.producers[0] }!.1
                #expect(group.width >= max(1, Int((0.25 * Double(original)).rounded(.up))))
            }
        }
    }

    @Test("floors of the unpruned model hold after a layer is bypassed, which renumbers the nodes after it")
    func floorsSurviveBypass() throws {
        let network = try smallResNet(seed: 3)
        let floors = try GroupPruner.floors(network, minimumKeep: 0.5)
        let expected = Dictionary(uniqueKeysWithValues: try DependencyGraph(network.specification).prunableGroups.map {
            (network.nodes[$0.producers[0]].name, ($0.width + 1) / 2)
        })
        // The first block's conv1 + bn1 + relu1 leave the graph: every later producer moves up by three.
        let chain = try #require(try GraphLayerPruning.candidates(in: network).first)
        try network.bypass(chain.nodes)
        try GroupPruner.prune(network, toFlops: 2 * (try network.specification.macs()) * 11 / 20, criterion: GroupNormCriterion(p: 1),
                              ranking: .global, floors: floors)
        for group in try DependencyGraph(network.specification).prunableGroups {
            let name = network.nodes[group.producers[0]].name
            #expect(group.width >= expected[name]!, "\(name): \(group.width) channels, floor \(expected[name]!)")
        }
    }

    @Test("global ranking removes the lowest l2-normalised scores first; per-layer removes a common share")
    func rankingRules() throws {
        // Scores that say exactly what to remove: channel c of group g scores (g + 1) * (c + 1).
        struct Ladder: GroupCriterion {
            let name = "ladder"
            let input = CriterionInput.weights
            func scores(_ network: GraphNetwork, groups: [ChannelGroup], calibration: Dataset?) throws -> [[Double]] {
                groups.enumerated().map { g, group in (0..<group.width).map { Double((g + 1) * ($0 + 1)) } }
            }
        }
        let network = try smallResNet(seed: 3)
        let groups = try DependencyGraph(network.specification).prunableGroups
        let savings = try GroupPruner.channelSavings(groups, in: network.specification)
        let scores = try Ladder().scores(network, groups: groups, calibration: nil)
        let candidates = scores.map { Array(lowestFirst($0).dropLast(1)) }
        // Normalised, channel 0 of the widest group is the lowest of all: it goes first.
        let normalised = zip(scores, groups).map { s, _ in s[0] / s.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        let lowest = normalised.indices.min { normalised[$0] < normalised[$1] }!
        let first = GroupPruner.globalRemovals(candidates, scores: scores, comparable: false, groups: groups, savings: savings,
                                               macsToSave: 1)
        #expect(first.enumerated().allSatisfy { $0.element == ($0.offset == lowest ? [0] : []) })
        // One channel of every group saves exactly the sum of the savings: the smallest common
        // share takes each group's lowest channel; one MAC more needs the
        // smallest share above 1/widest, a second channel of the widest groups only.
        let one = GroupPruner.perLayerRemovals(candidates, groups: groups, savings: savings, macsToSave: savings.reduce(0, +))
        #expect(one.allSatisfy { $0 == [0] })
        let more = GroupPruner.perLayerRemovals(candidates, groups: groups, savings: savings, macsToSave: savings.reduce(0, +) + 1)
        let widest = groups.map(\.width).max()!
        #expect(zip(more, groups).allSatisfy { removed, group in
            removed == Array(0..<removed.count) && removed.count == (group.width == widest ? 2 : 1)
        })
    }

    @Test("an unreachable target names what it reached; Hessian ranking is refused")
    func refusals() throws {
        let network = try smallResNet(seed: 4)
        let base = 2 * (try network.specification.macs())
        #expect {
            try GroupPruner.prune(network, toFlops: base / 1000, criterion: GroupNormCriterion(p: 1), ranking: .global,
                                  floors: try GroupPruner.floors(network, minimumKeep: 0.5))
        } throws: { error in
            guard case let .targetNotReached("FLOPs", target, reached, _)? = error as? PruningError else { return false }
            return target == base / 1000 && reached > target && "\(error)".contains("stuck at \(reached)")
        }
        #expect(throws: PruningError.self) {
            try GroupPruner.prune(network, toFlops: base / 2, criterion: GroupNormCriterion(p: 1), ranking: .hessian)
        }
    }
}
