import Foundation
import Testing
import ShearsNet
@testable import ShearsPrune

/// Random BatchNorm affine parameters and running statistics, so that removed channels carry
/// non-zero constants (γ·(0 − μ)/σ + β through ReLU) that surgery must fold.
func randomizeNormalization(_ network: GraphNetwork, seed: UInt64) {
    randomizeNormalization(network.nodes.compactMap { $0.layer as? BatchNorm2D }, seed: seed)
}

/// Random affine parameters and running statistics for `norms`, in order.
func randomizeNormalization(_ norms: [BatchNorm2D], seed: UInt64) {
    var rng = SeededGenerator(seed: seed)
    for norm in norms {
        for c in 0..<norm.channels {
            norm.weight.value.values[c] = 0.5 + rng.nextUnitFloat()
            norm.bias.value.values[c] = 0.5 * rng.nextGaussian()
            norm.runningMean[c] = 0.3 * rng.nextGaussian()
            norm.runningVariance[c] = 0.5 + rng.nextUnitFloat()
        }
    }
}

/// A VGG-shaped graph with two convs and a hidden layer, BatchNorm at random statistics
/// (`smallVGGGraph(batchNorm: true)`): the model the masked, shape and channel criteria are checked on.
func smallVGGWithBatchNorm() throws -> GraphNetwork {
    try smallVGGGraph(batchNorm: true)
}

/// Two branches joined by a concat, pooled and flattened into a linear layer (so one group
/// reaches its consumer as blocks of columns at an offset), with biases that leave constants.
func concatTestGraph() -> GraphSpecification {
    var b = GraphBuilder(inputShape: [2, 6, 6])
    let left = b.relu("left.relu", b.conv("left", b.input, outChannels: 3, kernelSize: 3, padding: 1))
    let right = b.relu("right.relu", b.batchNorm("right.bn", b.conv("right", b.input, outChannels: 4, kernelSize: 1, bias: false)))
    let joined = b.maxPool("pool", b.concat("cat", [left, right]))
    let hidden = b.relu("hidden.relu", b.linear("hidden", b.flatten("flatten", joined), outFeatures: 5))
    b.linear("out", hidden, outFeatures: 3)
    return b.specification
}

@Suite("Dependency groups from the graph")
struct DependencyGraphTests {
    func names(_ network: GraphNetwork, _ nodes: [Int]) -> [String] { nodes.map { network.nodes[$0].name } }

    @Test("resnet-s: one group per stage spanning its blocks and shortcut, one inner group per block")
    func resnetGroups() throws {
        let network = try GraphNetwork(ResNet.small, seed: 0)
        let graph = try DependencyGraph(ResNet.small)
        #expect(graph.prunableGroups.count == 3 + 9)
        let stage2 = try #require(graph.groups.first { names(network, $0.producers).contains("layer2.0.downsample.0") })
        #expect(names(network, stage2.producers) == ["layer2.0.conv2", "layer2.0.downsample.0", "layer2.1.conv2", "layer2.2.conv2"])
        #expect(names(network, stage2.normalizers.map(\.node)) == ["layer2.0.bn2", "layer2.0.downsample.1", "layer2.1.bn2", "layer2.2.bn2"])
        #expect(names(network, stage2.consumers.map(\.node)) == ["layer2.1.conv1", "layer2.2.conv1", "layer3.0.conv1", "layer3.0.downsample.0"])
        #expect(stage2.width == 32 && stage2.isPrunable)
        let stage1 = try #require(graph.groups.first { names(network, $0.producers).contains("conv1") })
        #expect(names(network, stage1.producers) == ["conv1", "layer1.0.conv2", "layer1.1.conv2", "layer1.2.conv2"])
        let stage3 = try #require(graph.groups.first { names(network, $0.producers).contains("layer3.2.conv2") })
        #expect(stage3.consumers.last == ChannelGroup.Placement(node: network.nodes.count - 1, offset: 0, span: 1))
        let inner = try #require(graph.groups.first { names(network, $0.producers) == ["layer2.1.conv1"] })
        #expect(names(network, inner.consumers.map(\.node)) == ["layer2.1.conv2"] && inner.width == 32)
        let logits = try #require(graph.groups.first { names(network, $0.producers) == ["fc"] })
        #expect(!logits.isPrunable)
    }

    @Test("concat: each branch is its own group, read by the linear layer as column blocks at an offset")
    func concatGroups() throws {
        let graph = try DependencyGraph(concatTestGraph())
        let groups = graph.prunableGroups
        #expect(groups.count == 3)
        // After a 2x2 pool each channel is a 3x3 plane: 9 columns of `hidden` per channel.
        #expect(groups[0].consumers == [ChannelGroup.Placement(node: 8, offset: 0, span: 9)])
        #expect(groups[1].consumers == [ChannelGroup.Placement(node: 8, offset: 27, span: 9)])
        #expect(groups[1].normalizers == [ChannelGroup.Placement(node: 3, offset: 0, span: 1)])
    }

    /// Logits of `network` in evaluation mode after zeroing the rows of channels `removed[i]`
    /// in every producer of `groups[i]`, all together: what removal must reproduce.
    func maskedLogits(_ network: GraphNetwork, _ groups: [ChannelGroup], removed: [[Int]], input: Tensor) -> Tensor {
        let masked = network.copy()
        for (group, removed) in zip(groups, removed) {
            for producer in group.producers {
                let weight = masked.nodes[producer].layer!.parameters[0]
                let row = weight.value.itemSize
                for channel in removed { for i in (channel * row)..<((channel + 1) * row) { weight.value.values[i] = 0 } }
            }
        }
        return masked.forward(input, training: false)
    }

    @Test("removal equals masking for every group of a residual net with projection shortcuts and of a concat graph",
          arguments: ["resnet", "concat"])
    func removalEqualsMasking(graph name: String) throws {
        let specification = name == "resnet"
            ? ResNet.specification(inputShape: [1, 8, 8], widths: [4, 6], blocksPerStage: 2, classes: 3)
            : concatTestGraph()
        let groupCount = try DependencyGraph(specification).prunableGroups.count
        #expect(groupCount == (name == "resnet" ? 2 + 4 : 3))
        let input = randomTensor(shape: [3] + specification.inputShape, seed: 1)
        for index in 0..<groupCount {
            let network = try GraphNetwork(specification, seed: 2)
            randomizeNormalization(network, seed: 3)
            let group = try DependencyGraph(network.specification).prunableGroups[index]
            let removed = Array(stride(from: 1, to: group.width, by: 2))
            let expected = maskedLogits(network, [group], removed: [removed], input: input)
            try GroupSurgery.keep((0..<group.width).filter { !removed.contains($0) }, of: group, in: network)
            let actual = network.forward(input, training: false)
            let worst = zip(actual.values, expected.values).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-5, "group \(index) (\(network.nodes[group.producers[0]].name)): logits differ by \(worst)")
            #expect(try DependencyGraph(network.specification).prunableGroups[index].width == group.width - removed.count)
        }
    }

    @Test("removing channels of every group at once equals masking them all together, chained and residual groups alike",
          arguments: ["resnet", "concat", "vgg"])
    func removalOfAllGroupsEqualsMasking(graph name: String) throws {
        let specification = switch name {
        case "resnet": ResNet.specification(inputShape: [1, 8, 8], widths: [4, 6], blocksPerStage: 2, classes: 3)
        case "concat": concatTestGraph()
        default: VGGConfiguration(features: [.conv(4), .conv(5), .pool, .conv(6)], hidden: [7], inputChannels: 1,
                                  inputSize: 8, classes: 3).graph
        }
        let input = randomTensor(shape: [3] + specification.inputShape, seed: 1)
        let network = try GraphNetwork(specification, seed: 2)
        randomizeNormalization(network, seed: 3)
        // Positive biases, so that removed filters carry constants through their ReLUs.
        for case let conv as Conv2D in network.nodes.map(\.layer) where conv.hasBias { conv.bias.value.values = conv.bias.value.values.map { abs($0) + 0.1 } }
        let groups = try DependencyGraph(network.specification).prunableGroups
        let removed = groups.map { Array(stride(from: 1, to: $0.width, by: 2)) }
        let expected = maskedLogits(network, groups, removed: removed, input: input)
        try GroupSurgery.keep(zip(groups, removed).map { group, removed in (0..<group.width).filter { !removed.contains($0) } },
                              of: groups, in: network)
        let actual = network.forward(input, training: false)
        let worst = zip(actual.values, expected.values).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-5, "logits differ by \(worst)")
        #expect(try DependencyGraph(network.specification).prunableGroups.map(\.width) == zip(groups, removed).map { $0.width - $1.count })
    }

    @Test("pruning resnet-s by l1 halves every group, cuts MACs, and round-trips through a checkpoint")
    func pruneResNet() throws {
        let network = try GraphNetwork(ResNet.small, seed: 4)
        randomizeNormalization(network, seed: 5)
        let before = try network.specification.macs()
        let changes = try GroupPruner.prune(network, criterion: GroupNormCriterion(p: 1), ratio: 0.5)
        #expect(changes.count == 12 && changes.allSatisfy { $0.after == $0.before / 2 })
        let after = try network.specification.macs()
        #expect(after < before / 3, "MACs \(before) -> \(after)")
        // Still resnet-s at other widths (what a curve checks of its checkpoint), and no VGG.
        #expect(network.specification.hasLayout(of: ResNet.small) && !VGGConfiguration.vggS.graph.hasLayout(of: ResNet.small))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pruned-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try network.save(to: path)
        let (loaded, _) = try GraphNetwork.load(from: path)
        let x = randomTensor(shape: [2, 1, 28, 28], seed: 6)
        #expect(loaded.forward(x, training: false) == network.forward(x, training: false))
        let offsets = loaded.stateTensors.filter { $0.key.hasSuffix(".output_offset") }.reduce(0) { $0 + $1.value.count }
        #expect(offsets > 0 && loaded.parameterCountWithOffsets == loaded.specification.parameterCount + offsets)
    }

    @Test("bn-scale scores Σ|γ| over a group's BatchNorms and skips groups without one; l1 sums its producers' filter norms; bad requests are refused")
    func groupCriteria() throws {
        let specification = ResNet.specification(inputShape: [1, 8, 8], widths: [4, 6], blocksPerStage: 2, classes: 3)
        let network = try GraphNetwork(specification, seed: 7)
        randomizeNormalization(network, seed: 8)
        let groups = try DependencyGraph(specification).prunableGroups
        let stage = try #require(groups.first { $0.normalizers.count > 1 })
        let concat = try DependencyGraph(concatTestGraph()).prunableGroups
        #expect(concat.map(BatchNormScaleCriterion().applies) == [false, true, false])
        let scores = try BatchNormScaleCriterion().scores(network, groups: [stage], calibration: nil)[0]
        for channel in 0..<stage.width {
            let expected = stage.normalizers.reduce(0.0) {
                $0 + Double(abs((network.nodes[$1.node].layer as! BatchNorm2D).weight.value.values[channel]))
            }
            #expect(abs(scores[channel] - expected) < 1e-9)
        }
        let l1 = try GroupNormCriterion(p: 1).scores(network, groups: [stage], calibration: nil)[0]
        let weights = stage.producers.map { network.nodes[$0].layer!.parameters[0].value }
        let byHand = weights.reduce(0.0) { sum, w in sum + w.values[0..<w.itemSize].reduce(0.0) { $0 + Double(abs($1)) } }
        #expect(abs(l1[0] - byHand) < 1e-6)
        #expect(throws: PruningError.ratioOutOfRange(1)) { try GroupPruner.prune(network, criterion: GroupNormCriterion(p: 1), ratio: 1) }
        #expect(throws: PruningError.self) {
            let plain = VGGConfiguration(features: [.conv(4), .pool], hidden: [3], inputChannels: 1, inputSize: 4, classes: 2)
            return try GroupPruner.prune(try GraphNetwork(plain.graph, seed: 0), criterion: BatchNormScaleCriterion(), ratio: 0.5)
        }
        #expect(GroupCriteria.fixedNames.allSatisfy { GroupCriteria.named($0, seed: 1)?.name == $0 })
    }

    @Test("a user's own network (two branches and a concat) pruned by a user's own criterion: the docs' program")
    func usersOwnNetworkAndCriterion() throws {
        // docs/your-own-network.md shows this program; keep the two identical.
        /// Keeps the channels whose producers have the largest bias: not a good criterion, but not ours.
        struct LargestBias: GroupCriterion {
            let name = "largest-bias"
            let input = CriterionInput.weights
            func scores(_ network: GraphNetwork, groups: [ChannelGroup], calibration: Dataset?) throws -> [[Double]] {
                groups.map { group in
                    let conv = network.nodes[group.producers[0]].layer as? Conv2D
                    return (0..<group.width).map { Double(conv?.bias.value.values[$0] ?? 0) }
                }
            }
        }
        var b = GraphBuilder(inputShape: [1, 28, 28])
        let stem = b.relu("stem.relu", b.conv("stem", b.input, outChannels: 8, kernelSize: 3, padding: 1))
        let left = b.relu("left.relu", b.conv("left", stem, outChannels: 8, kernelSize: 1))
        let right = b.relu("right.relu", b.batchNorm("right.bn", b.conv("right", stem, outChannels: 8, kernelSize: 3,
                                                                      padding: 1, bias: false)))
        let joined = b.globalAveragePool("pool", b.concat("cat", [left, right]))
        b.linear("fc", b.flatten("flatten", joined), outFeatures: 10)
        let network = try b.build(seed: 0)

        let changes = try GroupPruner.prune(network, criterion: LargestBias(), ratio: 0.5)
        for change in changes { print("\(change.group): \(change.before) -> \(change.after) channels") }
        print("MACs per image: \(try network.specification.macs())")

        #expect(changes.map(\.group) == ["stem", "left", "right"] && changes.allSatisfy { $0.after == 4 })
        #expect(try network.specification.macs() == 4 * 9 * 784 + 4 * 4 * 784 + 4 * 9 * 4 * 784 + 8 * 10)
        #expect(network.forward(randomTensor(shape: [2, 1, 28, 28], seed: 10), training: false).shape == [2, 10])
    }
}

/// Standard normal values of `shape`, seeded.
func randomTensor(shape: [Int], seed: UInt64) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    return Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in rng.nextGaussian() })
}
