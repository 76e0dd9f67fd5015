import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("Global and Hessian-aware ranking on dependency groups")
struct GroupRankingTests {
    let data = Dataset.synthetic(count: 12, height: 8, width: 8, classCount: 3, seed: 1)

    /// Three convs feeding the logits directly, so every prunable group is a conv's filters.
    func vgg(batchNorm: Bool) -> VGG {
        let configuration = VGGConfiguration(features: [.conv(4), .pool, .conv(6), .conv(5), .pool], hidden: [],
                                             inputChannels: 1, inputSize: 8, classes: 3, batchNorm: batchNorm)
        let model = VGG(configuration, seed: 2)
        randomizeNormalization(model.features.layers.compactMap { $0 as? BatchNorm2D }, seed: 3)
        return model
    }

    @Test("on a VGG's graph the group shares equal HessianAllocation's filter shares", arguments: [false, true])
    func hessianSharesMatchVGG(batchNorm: Bool) throws {
        let model = vgg(batchNorm: batchNorm)
        let network = try model.asGraph()
        let groups = try DependencyGraph(network.specification).prunableGroups
        #expect(groups.map(\.width) == [4, 6, 5])
        let shares = try GroupHessianAllocation.shares(network, groups: groups, ratio: 0.4, data: data, batchSize: 5)
        let expected = try HessianAllocation.shares(model, granularity: .filter, ratio: 0.4, data: data, batchSize: 8)
        for (k, share) in shares.enumerated() {
            let reference = expected[.convolution(k)]!.share
            #expect(abs(share - reference) <= 1e-6 * max(reference, 1e-12), "group \(k): \(share) vs \(reference)")
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
        let network = try vgg(batchNorm: true).asGraph()
        let groups = try DependencyGraph(network.specification).prunableGroups
        let shares = try GroupHessianAllocation.shares(network, groups: groups, ratio: 0.5, data: data)
        let changes = try GroupPruner.prune(network, criterion: GroupNormCriterion(p: 1), ratio: 0.5, ranking: .hessian,
                                            calibration: data)
        for (change, (group, share)) in zip(changes, zip(groups, shares)) {
            #expect(change.before - change.after == min(Int((share * Double(group.width)).rounded(.down)), group.width - 1))
        }
        #expect(throws: PruningError.needsCalibration(criterion: "Hessian-aware ranking")) {
            try GroupPruner.prune(try vgg(batchNorm: false).asGraph(), criterion: GroupNormCriterion(p: 1), ratio: 0.5,
                                  ranking: .hessian)
        }
    }

    @Test("global ranking on a VGG's graph removes what the VGG planner's global plan removes", arguments: ["l1", "random"])
    func globalMatchesVGGPlanner(name: String) throws {
        let model = vgg(batchNorm: false)
        let network = try model.asGraph()
        let criterion = try #require(GroupCriteria.named(name, seed: 7))
        let scores = try CriterionEngine(data: data, seed: 7).scores(model, criterion: CriterionName(parsing: name),
                                                                      granularity: .filter)
        let plan = try Planner.plan(scores, granularity: .filter, ratio: 0.45, ranking: .global)
        let changes = try GroupPruner.prune(network, criterion: criterion, ratio: 0.45, ranking: .global)
        #expect(changes.reduce(0) { $0 + $1.before - $1.after } == Int((0.45 * 15).rounded(.down)))
        for (k, change) in changes.enumerated() {
            #expect(change.before - change.after == plan.removals[.convolution(k)]?.count ?? 0, "group \(k)")
        }
        // The removed filters are the same ones: the kept weights of the first conv match.
        let kept = (0..<4).filter { !(plan.removals[.convolution(0)] ?? []).contains($0) }
        let original = model.convolutions[0].layer.weight.value.values
        let pruned = (network.nodes[0].layer as! Conv2D).weight.value.values
        #expect(pruned == kept.flatMap { Array(original[($0 * 9)..<(($0 + 1) * 9)]) })
    }
}
