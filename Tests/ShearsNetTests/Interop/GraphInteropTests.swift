import Testing
@testable import ShearsNet

/// Gives every BatchNorm of `network` non-trivial affine parameters and running statistics,
/// so that a misplaced or dropped tensor changes the outputs.
func randomizeBatchNorms(_ network: GraphNetwork, seed: UInt64) {
    var rng = SeededGenerator(seed: seed)
    for node in network.nodes {
        guard let norm = node.layer as? BatchNorm2D else { continue }
        for c in 0..<norm.channels {
            norm.weight.value.values[c] = 0.5 + rng.nextUnitFloat()
            norm.bias.value.values[c] = 0.3 * rng.nextGaussian()
            norm.runningMean[c] = 0.2 * rng.nextGaussian()
            norm.runningVariance[c] = 0.5 + rng.nextUnitFloat()
        }
    }
}

/// The conv called `name` in `network`, and its output's `[F, Ho, Wo]`.
private func conv(_ name: String, in network: GraphNetwork) throws -> (Conv2D, [Int]) {
    let index = try #require(network.nodes.firstIndex { $0.name == name })
    return (try #require(network.nodes[index].layer as? Conv2D), Array(network.nodeShapes[index].dropFirst()))
}

private func largestDifference(_ a: Tensor, _ b: Tensor) -> Float {
    zip(a.values, b.values).map { abs($0 - $1) }.max() ?? 0
}

@Suite("graph networks as ONNX and PyTorch state dicts")
struct GraphInteropTests {
    @Test("resnet-s in ONNX: one node per graph node, named as it, bias-free convs, checkpoint tensors as initializers")
    func resnetONNX() throws {
        let network = try GraphNetwork(ResNet.small, seed: 3)
        let graph = try network.onnxModel().graph
        #expect(graph.nodes.map(\.name) == network.nodes.map(\.name))
        #expect(graph.nodes.last?.outputs == ["logits"] && graph.outputs.map(\.name) == ["logits"])
        #expect(graph.inputs.first?.shape == [.named("batch"), .fixed(1), .fixed(28), .fixed(28)])
        #expect(Set(graph.initializers.map(\.name)) == Set(network.stateTensors.keys))
        let counts = Dictionary(grouping: graph.nodes, by: \.opType).mapValues(\.count)
        #expect(counts == ["Conv": 21, "BatchNormalization": 21, "Relu": 19, "Add": 9, "GlobalAveragePool": 1,
                           "Flatten": 1, "Gemm": 1])
        #expect(graph.nodes.filter { $0.opType == "Conv" }.allSatisfy { $0.inputs.count == 2 }, "no bias inputs")
        let add = try #require(graph.nodes.first { $0.name == "layer2.0.add" })
        #expect(add.inputs == ["layer2.0.bn2", "layer2.0.downsample.1"])
    }

    @Test("offsets become an Add after the Conv, sums of three a chain of Adds, concat stays on the channel axis")
    func offsetsSumsAndConcat() throws {
        var b = GraphBuilder(inputShape: [1, 6, 6])
        let stem = b.conv("stem", b.input, outChannels: 2, kernelSize: 3, padding: 1, bias: false)
        let left = b.conv("left", stem, outChannels: 2, kernelSize: 1), right = b.relu("right", stem)
        let sum = b.add("sum", [stem, left, right])
        b.linear("fc", b.flatten("flatten", b.concat("cat", [sum, left])), outFeatures: 3)
        let network = try b.build(seed: 1)
        let (stemConv, shape) = try conv("stem", in: network)
        stemConv.outputOffset = randomTensor(shape, seed: 2)
        let graph = try network.onnxModel().graph
        #expect(graph.nodes.map(\.opType) == ["Conv", "Add", "Conv", "Relu", "Add", "Add", "Concat", "Flatten", "Gemm"])
        #expect(graph.nodes[0].outputs == ["stem.conv"] && graph.nodes[1].name == "stem.add_offset")
        #expect(graph.nodes[1].inputs == ["stem.conv", "stem.output_offset"] && graph.nodes[1].outputs == ["stem"])
        #expect(graph.nodes[4].inputs == ["stem", "left"] && graph.nodes[5].inputs == ["sum.sum1", "right"])
        #expect(graph.nodes[5].name == "sum" && graph.nodes[5].outputs == ["sum"])
        #expect(graph.initializers.first { $0.name == "stem.output_offset" }?.tensor == stemConv.outputOffset)
    }

    @Test("a node named like a tensor the exporter derives is refused, naming it")
    func nameClash() throws {
        var b = GraphBuilder(inputShape: [1, 4, 4])
        let c = b.conv("c", b.input, outChannels: 2, kernelSize: 3, padding: 1)
        b.linear("fc", b.flatten("flatten", b.relu("c.conv", c)), outFeatures: 2)
        let network = try b.build(seed: 1)
        #expect(throws: Never.self) { try network.onnxModel() }
        let (conv, shape) = try conv("c", in: network)
        conv.outputOffset = Tensor(shape: shape)
        #expect(throws: InteropError.nameClash(name: "c.conv")) { try network.onnxModel() }
    }

    @Test("an unpruned resnet-s's state dict is its checkpoint tensors, and restores to the same outputs")
    func resnetStateDict() throws {
        let network = try GraphNetwork(ResNet.small, seed: 4)
        randomizeBatchNorms(network, seed: 5)
        let (tensors, folds) = try network.torchStateDict()
        #expect(tensors == network.stateTensors && folds.isEmpty)
        #expect(!tensors.keys.contains { $0.hasSuffix("conv1.bias") || $0.hasSuffix("num_batches_tracked") })
        let back = try GraphNetwork.fromTorchStateDict(tensors, specification: network.specification, source: "test")
        let x = randomTensor([2, 1, 28, 28], seed: 6)
        #expect(back.forward(x, training: false) == network.forward(x, training: false))
    }

    @Test("offsets fold into the reading BatchNorm's running mean (exact when uniform) or the conv's bias")
    func offsetFolding() throws {
        let network = try GraphNetwork(residualTestGraph(), seed: 7)
        randomizeBatchNorms(network, seed: 8)
        let (downsample, downsampleShape) = try conv("block.downsample.0", in: network)
        let (side, sideShape) = try conv("side", in: network)
        downsample.outputOffset = Tensor(shape: downsampleShape, values: (0..<downsampleShape.reduce(1, *)).map {
            Float($0 / (downsampleShape[1] * downsampleShape[2])) - 0.7
        })
        side.outputOffset = Tensor(shape: sideShape, values: (0..<sideShape.reduce(1, *)).map { 0.3 * Float($0 % 4) })
        let (tensors, folds) = try network.torchStateDict()
        #expect(folds == [TorchOffsetFold(offset: "block.downsample.0.output_offset", target: "block.downsample.1.running_mean", exact: true),
                          TorchOffsetFold(offset: "side.output_offset", target: "side.bias", exact: false)])
        #expect(!tensors.keys.contains { $0.hasSuffix("output_offset") })
        let x = randomTensor([2, 2, 5, 5], seed: 9)
        let exported = try GraphNetwork.fromTorchStateDict(tensors, specification: network.specification, source: "test")
        #expect(largestDifference(exported.forward(x, training: false), network.forward(x, training: false)) > 1e-3,
                "the non-uniform offset on 'side' is approximated")
        side.outputOffset = Tensor(shape: sideShape, repeating: 0.25)
        let uniform = try GraphNetwork.fromTorchStateDict(try network.torchStateDict().tensors,
                                                          specification: network.specification, source: "test")
        let difference = largestDifference(uniform.forward(x, training: false), network.forward(x, training: false))
        #expect(difference < 1e-5, "uniform offsets fold exactly; outputs differ by \(difference)")
    }

    @Test("an offset on a bias-free conv that no lone BatchNorm reads is refused, naming the tensor")
    func offsetWithoutTarget() throws {
        var b = GraphBuilder(inputShape: [1, 4, 4])
        let c = b.conv("c", b.input, outChannels: 2, kernelSize: 3, padding: 1, bias: false)
        b.linear("fc", b.flatten("flatten", b.relu("relu", c)), outFeatures: 2)
        let network = try b.build(seed: 1)
        let (conv, shape) = try conv("c", in: network)
        conv.outputOffset = Tensor(shape: shape, repeating: 1)
        #expect {
            try network.torchStateDict()
        } throws: { error in
            guard case let InteropError.noTorchCounterpart(name, _) = error else { return false }
            return name == "c.output_offset"
        }
    }
}
