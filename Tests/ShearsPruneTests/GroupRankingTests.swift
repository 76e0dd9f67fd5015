import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("Global and Hessian-aware ranking on dependency groups")
struct GroupRankingTests {
    let data = Dataset.synthetic(count: 12, height: 8, width: 8, classCount: 3, seed: 1)

    /// Three convs feeding the logits directly (conv(4), pool, conv(6), conv(5), pool), so
    /// every prunable group is a conv's filters, read whole by the next conv or the logits.
    func network(batchNorm: Bool) throws -> GraphNetwork {
        let configuration = VGGConfiguration(features: [.conv(4), .pool, .conv(6), .conv(5), .pool], hidden: [],
                                             inputChannels: 1, inputSize: 8, classes: 3, batchNorm: batchNorm)
        let network = try GraphNetwork(configuration.graph, seed: 2)
        randomizeNormalization(network, seed: 3)
        return network
    }

    /// The documented cost of removing one channel of each group, by hand:
    /// `s = Σ_c ½ (tr H_c / n_c) ‖W_c,S‖²_F / G`, H_c = (2/N) Σ x xᵀ over consumer c's inputs
    /// (im2col columns of a conv), S its columns reading the group — here all of them.
    func costs(_ network: GraphNetwork, _ groups: [ChannelGroup]) -> [Double] {
        groups.map { group in
            Set(group.consumers.map(\.node)).reduce(0.0) { total, consumer in
                let samples = inputSamples(network, node: consumer, data: data)
                let trace = samples.reduce(0.0) { $0 + $1.reduce(0) { $0 + $1 * $1 } } * 2 / Double(samples.count)
                let weight = network.nodes[consumer].layer!.parameters[0].value.values
                let squared = weight.reduce(0.0) { $0 + Double($1) * Double($1) }
                return total + 0.5 * trace / Double(samples[0].count) * squared / Double(group.width)
            }
        }
    }

    /// Checks the water-filling rule: `Σ r·G = ratio · Σ G`, every share at most `cap`, and
    /// `r = t / s` with one t for every group below the cap (so cheaper groups give up more).
    func checkShares(_ shares: [Double], costs: [Double], widths: [Int], ratio: Double, cap: Double) {
        let total = zip(shares, widths).reduce(0.0) { $0 + $1.0 * Double($1.1) }
        #expect(abs(total - ratio * Double(widths.reduce(0, +))) < 1e-6, "\(shares)")
        #expect(shares.allSatisfy { $0 <= cap + 1e-12 }, "\(shares)")
        let levels = zip(shares, costs).filter { $0.0 < cap - 1e-9 }.map { $0.0 * $0.1 }
        #expect(!levels.isEmpty)
        // t is bisected to Double precision; the costs agree with the library's to ~1e-12: 1e-6 relative.
        #expect(levels.allSatisfy { abs($0 - levels[0]) <= 1e-6 * levels[0] }, "r·s: \(levels)")
        for (a, b) in zip(zip(shares, costs), zip(shares, costs).dropFirst()) where a.1 < b.1 { #expect(a.0 >= b.0) }
    }

    @Test("the group shares follow the documented rule on the consumers' Hessian traces, by hand", arguments: [false, true])
    func hessianSharesByFormula(batchNorm: Bool) throws {
        let network = try network(batchNorm: batchNorm)
        let groups = try DependencyGraph(network.specification).prunableGroups
        #expect(groups.map(\.width) == [4, 6, 5])
        let shares = try GroupHessianAllocation.shares(network, groups: groups, ratio: 0.4, data: data, batchSize: 5)
        let costs = costs(network, groups)
        checkShares(shares, costs: costs, widths: [4, 6, 5], ratio: 0.4, cap: 0.9)
        #expect(Set(shares).count == 3, "equal shares: a weak test \(shares)")
    }

    @Test("a group read by weak weights gives up most, up to the cap, which holds")
    func capHolds() throws {
        let network = try network(batchNorm: true)
        let groups = try DependencyGraph(network.specification).prunableGroups
        // The second conv reads the first group whole: shrinking it makes that group cheap.
        let reader = network.nodes[groups[0].consumers[0].node].layer!.parameters[0]
        for i in reader.value.values.indices { reader.value.values[i] *= 0.01 }
        let costs = costs(network, groups)
        for cap in [0.9, 0.5] {
            let shares = try GroupHessianAllocation.shares(network, groups: groups, ratio: 0.4, data: data, batchSize: 5, cap: cap)
            #expect(abs(shares[0] - cap) < 1e-12, "cap \(cap): \(shares)")
            checkShares(shares, costs: costs, widths: [4, 6, 5], ratio: 0.4, cap: cap)
        }
    }

    @Test("on a residual graph the shares remove the ratio in total, and a group read by weak weights gives up most")
    func hessianSharesOnResidualGraph() throws {
        let specification = residualTestGraph(rectifyFlattened: false)
        let network = try GraphNetwork(specification, seed: 4)
        randomizeNormalization(network, seed: 5)
        let groups = try DependencyGraph(specification).prunableGroups
        // The residual group (stem + block.conv2) is read by block.conv1 and the hidden layer.
        let residual = try #require(groups.firstIndex { $0.producers.count == 2 })
        // Shrink only the weight columns that read it: the hidden layer's other columns read the side branch.
        for (node, placements) in Dictionary(grouping: groups[residual].consumers, by: \.node) {
            let weight = network.nodes[node].layer!.parameters[0]
            let rowLength = weight.value.itemSize
            let columns = try ConsumerHessians.columns(of: Array(0..<groups[residual].width), placements, in: network)
            for row in 0..<(weight.value.count / rowLength) { for column in columns { weight.value.values[row * rowLength + column] *= 0.01 } }
        }
        let images = Dataset.synthetic(count: 8, height: 6, width: 6, classCount: 3, seed: 6)
        let shares = try GroupHessianAllocation.shares(network, groups: groups, ratio: 0.3, data: images, batchSize: 3)
        let total = zip(shares, groups).reduce(0.0) { $0 + $1.0 * Double($1.1.width) }
        #expect(abs(total - 0.3 * Double(groups.reduce(0) { $0 + $1.width })) < 1e-6)
        #expect(shares[residual] == shares.max()! && shares.allSatisfy { $0 <= 0.9 }, "\(shares)")
    }

    @Test("Hessian-aware pruning removes ⌊share · width⌋ of each group and needs calibration images")
    func hessianPruning() throws {
        let network = try network(batchNorm: true)
        let groups = try DependencyGraph(network.specification).prunableGroups
        let shares = try GroupHessianAllocation.shares(network, groups: groups, ratio: 0.5, data: data)
        let changes = try GroupPruner.prune(network, criterion: GroupNormCriterion(p: 1), ratio: 0.5, ranking: .hessian,
                                            calibration: data)
        for (change, (group, share)) in zip(changes, zip(groups, shares)) {
            #expect(change.before - change.after == min(Int((share * Double(group.width)).rounded(.down)), group.width - 1))
        }
        #expect(throws: PruningError.needsCalibration(criterion: "Hessian-aware ranking")) {
            try GroupPruner.prune(try self.network(batchNorm: false), criterion: GroupNormCriterion(p: 1), ratio: 0.5,
                                  ranking: .hessian)
        }
    }

    @Test("global ranking removes the globally lowest l2-normalised scores (random's as they are), chosen by hand from the criterion's scores",
          arguments: ["l1", "random"])
    func globalRemovesTheLowest(name: String) throws {
        let network = try network(batchNorm: false)
        let original = network.copy()
        let criterion = try #require(GroupCriteria.named(name, seed: 7))
        let groups = try DependencyGraph(network.specification).prunableGroups
        let scores = try criterion.scores(network, groups: groups, calibration: nil)
        // ⌊0.45 · 15⌋ = 6 channels.
        let removed = globallyLowest(scores, count: 6, comparable: name == "random")
        let changes = try GroupPruner.prune(network, criterion: criterion, ratio: 0.45, ranking: .global)
        #expect(changes.map { $0.before - $0.after } == removed.map(\.count))
        #expect(removed.filter { !$0.isEmpty }.count >= 2, "one group takes every removal: a weak test \(removed)")
        // Each conv keeps the rows of its kept filters and the input channels of the previous group's.
        for (k, conv) in ["features.0", "features.3", "features.5"].enumerated() {
            let before = original.nodes[nodeIndex(original, conv)].layer!.parameters[0].value
            let (filters, inputs) = (before.shape[0], before.shape[1])
            let rows = (0..<filters).filter { !removed[k].contains($0) }
            let channels = k == 0 ? [0] : (0..<inputs).filter { !removed[k - 1].contains($0) }
            let expected = rows.flatMap { f in channels.flatMap { c in before.values[((f * inputs + c) * 9)..<((f * inputs + c + 1) * 9)] } }
            #expect(network.nodes[nodeIndex(network, conv)].layer!.parameters[0].value.values == expected, "\(conv)")
        }
    }
}
