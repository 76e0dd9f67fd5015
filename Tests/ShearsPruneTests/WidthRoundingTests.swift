import ShearsNet
@testable import ShearsPrune
import Testing

/// Kept widths rounded to a multiple (`WidthRounding`, Torch-Pruning's `round_to`).
@Suite("Width rounding")
struct WidthRoundingTests {
    @Test("kept widths round up to the multiple, never above the width; multiple 1 changes nothing")
    func removals() {
        let eight = WidthRounding(multiple: 8)
        #expect(eight.removals(5, width: 32) == 0)      // 27 kept -> 32
        #expect(eight.removals(10, width: 32) == 8)     // 22 kept -> 24
        #expect(eight.removals(16, width: 32) == 16)    // 16 kept already
        #expect(eight.removals(31, width: 32) == 24)    // 1 kept -> 8
        #expect(eight.removals(2, width: 30) == 0)      // 28 -> 32, capped at 30
        #expect(eight.removals(7, width: 30) == 6)      // 23 -> 24
        #expect((0...32).allSatisfy { WidthRounding.none.removals($0, width: 32) == $0 })
    }

    @Test("take walks candidates until the rounded removals save enough, each group keeping a multiple")
    func take() {
        let rounding = WidthRounding(multiple: 4)
        // Two groups of 8 units saving 1 and 10 MACs each; candidates alternate.
        let ordered = (0..<8).flatMap { [(group: 0, unit: $0), (group: 1, unit: $0)] }
        let savings = [Array(repeating: 1, count: 8), Array(repeating: 10, count: 8)]
        let taken = rounding.take(ordered, widths: [8, 8], savings: savings, target: 12)
        // Neither group saves anything until its 4th unit, and then 4 + 40 MACs at once.
        #expect(taken == [[0, 1, 2, 3], [0, 1, 2, 3]])
        // Unrounded, 1 + 10 + 1 MACs reach 12 after three candidates.
        #expect(WidthRounding.none.take(ordered, widths: [8, 8], savings: savings, target: 12) == [[0, 1], [0]])
    }

    @Test("a residual network pruned to a FLOPs target with rounding 8 keeps every group a multiple of 8 and reaches it",
          arguments: [Ranking.global, .perLayer])
    func graphRounding(ranking: Ranking) throws {
        let network = try GraphNetwork(ResNet.specification(inputShape: [1, 12, 12], widths: [16, 32], blocksPerStage: 2, classes: 4),
                                       seed: 3)
        let base = 2 * (try network.specification.macs())
        let limit = Int(0.5 * Double(base))
        try GroupPruner.prune(network, toFlops: limit, criterion: GroupNormCriterion(p: 1), ranking: ranking,
                              rounding: WidthRounding(multiple: 8))
        #expect(2 * (try network.specification.macs()) <= limit)
        let widths = try DependencyGraph(network.specification).prunableGroups.map(\.width)
        #expect(widths.allSatisfy { $0 % 8 == 0 }, "\(widths)")
        #expect(widths.contains { $0 < 32 } && widths.reduce(0, +) < 16 * 5 + 32 * 5, "nothing was pruned: \(widths)")
    }

    @Test("a VGG-shaped graph pruned to a FLOPs target with rounding 8 keeps conv widths multiples of 8 (filters and channels)",
          arguments: [Granularity.filter, .channel])
    func vggRounding(granularity: Granularity) throws {
        let configuration = VGGConfiguration(features: [.conv(16), .pool, .conv(24), .conv(32), .pool], hidden: [16],
                                             inputChannels: 1, inputSize: 8, classes: 3)
        let network = try GraphNetwork(configuration.graph, seed: 4)
        let limit = try network.specification.macs()  // half the FLOPs
        let criterion = try #require(GroupCriteria.named("l1", seed: 0, granularity: granularity))
        try GroupPruner.prune(network, toFlops: limit, criterion: criterion, granularity: granularity, ranking: .global,
                              rounding: WidthRounding(multiple: 8))
        #expect(2 * (try network.specification.macs()) <= limit)
        let widths = network.nodes.compactMap { ($0.layer as? Conv2D)?.outChannels }
        #expect(widths.allSatisfy { $0 % 8 == 0 } && widths != [16, 24, 32], "\(widths)")
        // Channel groups are those a conv reads: the last conv's, read by the classifier, stays whole.
        if granularity == .channel { #expect(widths.last == 32) }
    }
}
