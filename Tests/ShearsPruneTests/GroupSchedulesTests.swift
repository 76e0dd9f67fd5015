import ShearsNet
import Testing
@testable import ShearsPrune

/// Two 1x1 convs over a 2-channel input, added (one group of 3 channels, two producers with
/// rows of 2 weights each, so |g| = 4), flattened into the logits.
func lassoTestGraph() throws -> GraphNetwork {
    var b = GraphBuilder(inputShape: [2, 2, 2])
    let sum = b.add("sum", [b.conv("a", b.input, outChannels: 3, kernelSize: 1), b.conv("b", b.input, outChannels: 3, kernelSize: 1)])
    b.linear("out", b.flatten("flatten", sum), outFeatures: 2)
    return try GraphNetwork(b.specification, seed: 1)
}

@Suite("Group LASSO and soft pruning on dependency groups")
struct GroupSchedulesTests {
    let data = Dataset.synthetic(count: 6, height: 6, width: 6, classCount: 3, seed: 1)

    @Test("the proximal step scales each channel's rows over both producers by max(0, 1 − ηλ√|g| / ‖w_g‖)")
    func proximalStepByHand() throws {
        let network = try lassoTestGraph()
        let (a, b) = (network.nodes[0].layer as! Conv2D, network.nodes[1].layer as! Conv2D)
        // Channel 0: ‖(1, 2, 2, 4)‖ = 5; channel 1: ‖(0.3, 0, 0, 0.4)‖ = 0.5; channel 2: ‖(0.03, 0.04, 0, 0)‖ = 0.05.
        a.weight.value.values = [1, 2, 0.3, 0, 0.03, 0.04]
        b.weight.value.values = [2, 4, 0, 0.4, 0, 0]
        let biases = (a.bias.value.values, b.bias.value.values)
        let out = (network.nodes[4].layer as! Linear).weight.value.values
        // η = 0.5, λ = 0.1, √|g| = 2: threshold 0.1; scales 1 − 0.1/5 = 0.98, 1 − 0.1/0.5 = 0.8, and 0 (0.05 < 0.1).
        try GroupLasso(strength: 0.1, granularity: .filter).proximalStep(network, learningRate: 0.5)
        let expectedA: [Float] = [0.98, 1.96, 0.24, 0, 0, 0], expectedB: [Float] = [1.96, 3.92, 0, 0.32, 0, 0]
        // One Float product per weight of a scale computed in Double: within 1 ulp of values below 4.
        #expect(zip(a.weight.value.values, expectedA).allSatisfy { abs($0 - $1) <= 1e-6 }, "\(a.weight.value.values)")
        #expect(zip(b.weight.value.values, expectedB).allSatisfy { abs($0 - $1) <= 1e-6 }, "\(b.weight.value.values)")
        #expect(a.weight.value.values[4...] == [0, 0] && b.weight.value.values[4...] == [0, 0])
        // Biases and the logits layer (not a prunable group) are not penalised.
        #expect(a.bias.value.values == biases.0 && b.bias.value.values == biases.1)
        #expect((network.nodes[4].layer as! Linear).weight.value.values == out)
        #expect(throws: PruningError.self) {
            try GroupLasso(strength: 0.1, granularity: .channel).proximalStep(network, learningRate: 0.5)
        }
    }

    @Test("LASSO soft-thresholds every conv and linear weight; kernel groups shrink by ηλ√9 and the zeroed ones are masked")
    func maskedGranularities() throws {
        let network = try GraphNetwork(VGGConfiguration.vggS.scaled(by: 0.25).graph, seed: 1)
        let linear = try #require(network.nodes.last?.layer as? Linear), conv = try #require(network.nodes[2].layer as? Conv2D)
        let weights = linear.weight.value.values
        try GroupLasso(strength: 0.05, granularity: .element).proximalStep(network, learningRate: 1)
        for (old, new) in zip(weights, linear.weight.value.values) {
            #expect(abs(new - (old > 0 ? 1 : -1) * max(0, abs(old) - 0.05)) < 1e-7)
        }
        // Kernel 0 of the second conv is tiny and goes to zero; the others lose ηλ√9 of their norm.
        for i in 0..<9 { conv.weight.value.values[i] *= 1e-3 }
        let before = conv.weight.value.values
        func norm(_ w: [Float], _ kernel: Int) -> Double {
            (kernel * 9..<(kernel + 1) * 9).reduce(0.0) { $0 + Double(w[$1]) * Double(w[$1]) }.squareRoot()
        }
        let (eta, lambda) = (0.1, 0.01)
        try GroupLasso(strength: lambda, granularity: .kernel).proximalStep(network, learningRate: eta)
        #expect(norm(conv.weight.value.values, 0) == 0)
        for kernel in 1..<(before.count / 9) where norm(before, kernel) > 3 * eta * lambda {
            #expect(abs(norm(conv.weight.value.values, kernel) - (norm(before, kernel) - 3 * eta * lambda)) < 1e-5)
        }
        let images = Dataset.synthetic(count: 4, seed: 3).batch(Array(0..<4)[...]).images
        let outputs = network.forward(images, training: false)
        let masked = try GroupLasso.removeZeroGroups(network, granularity: .kernel)
        #expect(masked[network.nodes[2].name]?.first == 0 && conv.weight.mask?[0..<9].allSatisfy { $0 == 0 } == true)
        // Masked zeros compute what the zeros did (up to the rounding of a masked layer's own GEMM path).
        #expect(zip(network.forward(images, training: false).values, outputs.values).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(network.nonZeroMacs < network.macs)
    }

    @Test("removing the channels whose producer rows are all zero leaves the outputs unchanged; every group keeps one")
    func zeroGroupsRemovedExactly() throws {
        let specification = residualTestGraph(rectifyFlattened: true)
        let network = try GraphNetwork(specification, seed: 3)
        randomizeNormalization(network, seed: 4)
        let groups = try DependencyGraph(specification).prunableGroups
        #expect(groups.map { $0.producers.map { network.nodes[$0].name } }
                == [["stem", "block.conv2"], ["block.conv1"], ["side"], ["hidden"]])
        // Stage channel 1 at both producers; stage channel 3 at the stem only (stays); every
        // channel of block.conv1 (the last stays); side channel 0 (its bias stays, and is folded).
        GroupPruner.zeroRows([1], of: groups[0], in: network)
        GroupPruner.zeroRows([3], of: ChannelGroup(width: 4, producers: [groups[0].producers[0]], normalizers: [],
                                                    consumers: [], rectifiers: [], isPrunable: true,
                                                    producerKind: .convolution, isReadByConvolution: true), in: network)
        GroupPruner.zeroRows([0, 1, 2], of: groups[1], in: network)
        GroupPruner.zeroRows([0], of: groups[2], in: network)
        let images = data.batch(Array(0..<data.count)[...]).images
        let masked = network.forward(images, training: false)
        let removed = try GroupLasso.removeZeroGroups(network)
        #expect(removed == ["stem": [1], "block.conv1": [0, 1], "side": [0]])
        let after = try DependencyGraph(network.specification).prunableGroups
        #expect(after.map(\.width) == [3, 1, 1, 5])
        let pruned = network.forward(images, training: false)
        let scale = masked.values.map(abs).max()!
        // Removal folds constants computed in Float through the same layers: 1e-5 of the logits' scale.
        #expect(zip(masked.values, pruned.values).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, scale) })
        #expect(try GroupLasso.removeZeroGroups(network).isEmpty)
        #expect(throws: PruningError.self) { try GroupLasso.removeZeroGroups(network, granularity: .channel) }
    }

    @Test("soft pruning zeroes the lowest weight rows of every producer until the estimate reaches the target, removing nothing",
          arguments: [Ranking.global, .perLayer])
    func softPruning(ranking: Ranking) throws {
        let specification = residualTestGraph(rectifyFlattened: false)
        let network = try GraphNetwork(specification, seed: 5)
        randomizeNormalization(network, seed: 6)
        let groups = try DependencyGraph(specification).prunableGroups
        let criterion = GroupNormCriterion(p: 1)
        let scores = try criterion.scores(network, groups: groups, calibration: nil)
        let (macs, parameters) = (try specification.macs(), network.parameters.map(\.value))
        let target = Int(0.6 * Double(2 * macs))
        let zeroed = try GroupPruner.zeroLowest(network, toFlops: target, criterion: criterion, ranking: ranking)
        #expect(try network.specification.macs() == macs && !zeroed.isEmpty)
        let savings = try GroupPruner.channelSavings(groups, in: specification)
        var saved = 0
        for (index, group) in groups.enumerated() {
            let channels = zeroed[network.nodes[group.producers[0]].name] ?? []
            saved += channels.count * savings[index]
            #expect(channels.count < group.width, "group \(index) lost every channel")
            // The lowest-scored channels of the group, ties to the lower index.
            let kept = Set(0..<group.width).subtracting(channels)
            #expect(channels.allSatisfy { c in kept.allSatisfy { (scores[index][c], c) < (scores[index][$0], $0) } })
            for producer in group.producers {
                let layer = network.nodes[producer].layer!
                let (weight, before) = (layer.parameters[0].value, parameters[network.parameters.firstIndex { $0 === layer.parameters[0] }!])
                for channel in 0..<group.width {
                    let row = (channel * weight.itemSize)..<((channel + 1) * weight.itemSize)
                    let expected = channels.contains(channel) ? [Float](repeating: 0, count: row.count) : Array(before.values[row])
                    #expect(Array(weight.values[row]) == expected, "\(network.nodes[producer].name) row \(channel)")
                }
            }
        }
        // Only producer weights change: biases and BatchNorm parameters are those of before.
        let weights = Set(groups.flatMap(\.producers).map { ObjectIdentifier(network.nodes[$0].layer!.parameters[0]) })
        for (parameter, before) in zip(network.parameters, parameters) where !weights.contains(ObjectIdentifier(parameter)) {
            #expect(parameter.value.values == before.values, "\(parameter.name)")
        }
        #expect(2 * saved >= 2 * macs - target, "estimated saving \(2 * saved) FLOPs of \(2 * macs - target)")
        // Nothing trained in between: the zeroed rows now score 0, lowest of all, so choosing
        // again picks among them only (per layer, the same share: exactly them; globally, the
        // ties at 0 go by group and index, which may reach the estimate with fewer of them).
        let again = try GroupPruner.zeroLowest(network, toFlops: target, criterion: criterion, ranking: ranking)
        #expect(!again.isEmpty && again.allSatisfy { Set($0.value).isSubset(of: zeroed[$0.key] ?? []) })
        if ranking == .perLayer { #expect(again == zeroed) }
    }
}
