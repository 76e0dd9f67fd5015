import Foundation
import Testing
@testable import ShearsNet

/// A residual block with BatchNorm and a projection shortcut, whose output also feeds a
/// concatenation with a side branch: every kind of node and every way of reading one.
func residualTestGraph() -> GraphSpecification {
    var b = GraphBuilder(inputShape: [2, 5, 5])
    // Smooth, unlike a ReLU whose kink would break the finite differences at the input.
    let x = b.batchNorm("pre", b.input)
    let inner = b.relu("block.relu1", b.batchNorm("block.bn1", b.conv("block.conv1", x, outChannels: 3, kernelSize: 3,
                                                                      stride: 2, padding: 1, bias: false)))
    let residual = b.batchNorm("block.bn2", b.conv("block.conv2", inner, outChannels: 3, kernelSize: 3, padding: 1, bias: false))
    let shortcut = b.batchNorm("block.downsample.1", b.conv("block.downsample.0", x, outChannels: 3, kernelSize: 1,
                                                            stride: 2, bias: false))
    let out = b.relu("block.relu2", b.add("block.add", [residual, shortcut]))
    let side = b.conv("side", out, outChannels: 2, kernelSize: 1)
    let joined = b.concat("cat", [out, side])
    b.linear("fc", b.flatten("flatten", b.globalAveragePool("avgpool", joined)), outFeatures: 3)
    return b.specification
}

@Suite("Graph networks")
struct GraphNetworkTests {
    @Test("a residual block with BatchNorm, projection shortcut and concat: gradients against finite differences")
    func residualGradients() throws {
        let network = try GraphNetwork(residualTestGraph(), seed: 1)
        var rng = SeededGenerator(seed: 2)
        for node in network.nodes {
            guard let norm = node.layer as? BatchNorm2D else { continue }
            for c in 0..<norm.channels {
                norm.weight.value.values[c] = 0.5 + rng.nextUnitFloat()
                norm.bias.value.values[c] = 0.3 * rng.nextGaussian()
            }
        }
        // A conv's small weights feed BatchNorm's normalisation, curved at the scale of 1e-2:
        // the step is small, the tolerance what Float sums leave at that step.
        let errors = GradientCheck(step: 1e-3, tolerance: 1e-3)
            .worstError(network, input: randomTensor([3, 2, 5, 5], seed: 3), seed: 4)
        #expect(errors.input < 1e-3 && errors.parameters < 1e-3, "\(errors)")
    }

    @Test("an identity shortcut passes its gradient to the block's input as well as through the convs")
    func identityShortcut() throws {
        var b = GraphBuilder(inputShape: [2, 4, 4])
        let x = b.relu("pre", b.input)
        let body = b.conv("conv", x, outChannels: 2, kernelSize: 3, padding: 1)
        b.linear("fc", b.flatten("flatten", b.add("add", [body, x])), outFeatures: 2)
        let errors = GradientCheck(step: 1e-2, tolerance: 2e-3)
            .worstError(try b.build(seed: 5), input: randomTensor([2, 2, 4, 4], seed: 6), seed: 7)
        #expect(errors.input < 2e-3 && errors.parameters < 2e-3, "\(errors)")
    }

    @Test("resnet-s has the reference's 272,186 parameters, 31,021,952 MACs and torchvision's names")
    func resnetReference() throws {
        let specification = ResNet.small
        #expect(specification.problem == nil)
        #expect(specification.parameterCount == 272_186)
        #expect(try specification.macs() == 31_021_952)
        let network = try GraphNetwork(specification, seed: 0)
        let names = Dictionary(uniqueKeysWithValues: network.stateTensors.map { ($0.key, $0.value.shape) })
        #expect(names["conv1.weight"] == [16, 1, 3, 3] && names["conv1.bias"] == nil)
        #expect(names["layer2.0.downsample.0.weight"] == [32, 16, 1, 1])
        #expect(names["layer3.2.bn2.running_var"] == [64] && names["fc.weight"] == [10, 64])
        // 20 weight layers, 19 BatchNorms with four tensors each, fc's bias.
        // 21 convs (stem, 18 in blocks, 2 projections), each with a BatchNorm of four tensors; fc.
        #expect(names.count == 21 + 21 * 4 + 2)
        #expect(network.parameters.reduce(0) { $0 + $1.value.count } == 272_186)
        let logits = network.forward(randomTensor([2, 1, 28, 28], seed: 8), training: false)
        #expect(logits.shape == [2, 10] && logits.values.allSatisfy(\.isFinite))
    }

    @Test("a VGG configuration's graph: PyTorch's nn.Sequential positions for every layer, and its MACs by hand")
    func vggAsGraph() throws {
        var configuration = VGGConfiguration(features: [.conv(4), .pool, .conv(6), .pool], hidden: [8], inputChannels: 1,
                                             inputSize: 8, classes: 3)
        configuration.batchNorm = true
        let network = try GraphNetwork(configuration.graph, seed: 9)
        #expect(network.nodes.map(\.name) == ["features.0", "features.1", "features.2", "features.3", "features.4", "features.5",
                                              "features.6", "features.7", "flatten", "classifier.0", "classifier.1", "classifier.2"])
        #expect(network.nodes.map { $0.layer.map { "\(type(of: $0))" } ?? "-" }
                    == ["Conv2D", "BatchNorm2D", "ReLU", "MaxPool2D", "Conv2D", "BatchNorm2D", "ReLU", "MaxPool2D", "Flatten",
                        "Linear", "ReLU", "Linear"])
        #expect(try configuration.graph.macs() == 1 * 9 * 4 * 64 + 4 * 9 * 6 * 16 + 24 * 8 + 8 * 3)
        let x = randomTensor([3, 1, 8, 8], seed: 11)
        #expect(network.forward(x, training: false).shape == [3, 3])
    }

    @Test("a checkpoint round-trips the graph, weights, masks and running statistics")
    func checkpointRoundTrip() throws {
        let network = try GraphNetwork(residualTestGraph(), seed: 12)
        _ = network.forward(randomTensor([4, 2, 5, 5], seed: 13), training: true)
        network.namedParameters[0].1.mask = (0..<network.namedParameters[0].1.value.count).map { $0 % 3 == 0 ? 0 : 1 }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("graph-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try network.save(to: path, metadata: ["seed": "12"])
        let (graph, metadata) = try GraphNetwork.load(from: path)
        #expect(metadata["seed"] == "12" && graph.specification == network.specification)
        #expect(graph.stateTensors == network.stateTensors)
        let x = randomTensor([2, 2, 5, 5], seed: 14)
        #expect(graph.forward(x, training: false) == network.forward(x, training: false))
    }

    @Test("graphs that cannot be built are refused naming the node", arguments: [
        (GraphNode(name: "fc", operation: .linear(inFeatures: 4, outFeatures: 2), inputs: ["missing"]), "not an earlier node"),
        (GraphNode(name: "input", operation: .relu, inputs: ["input"]), "named 'input'"),
        (GraphNode(name: "c", operation: .convolution(inChannels: 1, outChannels: 1 << 20, kernelSize: 3, stride: 1,
                                                       padding: 1, bias: true), inputs: ["input"]), "node 'c': channels"),
        (GraphNode(name: "sum", operation: .add, inputs: ["input"]), "two or more inputs"),
        (GraphNode(name: "bad name", operation: .relu, inputs: ["input"]), "must be 1...256 letters"),
    ])
    func refused(node: GraphNode, message: String) {
        let head = GraphNode(name: "head", operation: .flatten, inputs: [node.name])
        let specification = GraphSpecification(inputShape: [1, 2, 2], nodes: [node, head])
        #expect(specification.problem?.contains(message) == true, "\(specification.problem ?? "accepted")")
        #expect(throws: GraphError.self) { try GraphNetwork(specification, seed: 0) }
    }

    @Test("a dead branch, mismatched sums and concatenations, and a non-logit output are refused")
    func wiringRefused() {
        var dead = GraphBuilder(inputShape: [1, 4, 4])
        dead.relu("unused", dead.input)
        dead.linear("fc", dead.flatten("flatten", dead.input), outFeatures: 2)
        #expect(dead.specification.problem == "node 'unused' is read by no other node")
        var sum = GraphBuilder(inputShape: [1, 4, 4])
        sum.add("add", [sum.input, sum.conv("c", sum.input, outChannels: 2, kernelSize: 1)])
        #expect(throws: GraphError.self) { try sum.build(seed: 0) }
        var concat = GraphBuilder(inputShape: [1, 4, 4])
        concat.concat("cat", [concat.input, concat.maxPool("pool", concat.input)])
        #expect(throws: GraphError.self) { try concat.build(seed: 0) }
        var open = GraphBuilder(inputShape: [1, 4, 4])
        open.relu("relu", open.input)
        #expect(open.specification.problem?.contains("must output [N, classes]") == true)
    }

    @Test("a checkpoint whose graph is tampered with is refused before anything is built")
    func tamperedCheckpoint() throws {
        let network = try GraphNetwork(residualTestGraph(), seed: 15)
        var metadata = try network.architectureMetadata()
        metadata[GraphNetwork.architectureKey] = metadata[GraphNetwork.architectureKey]!
            .replacingOccurrences(of: "\"outChannels\":3", with: "\"outChannels\":60000")
        let file = SafeTensorsFile(tensors: network.stateTensors, metadata: metadata)
        #expect(throws: CheckpointError.self) { try GraphNetwork.load(file, path: "tampered") }
        var negative = network.stateTensors
        negative["block.bn1.running_var"]!.values[0] = -1
        #expect(throws: CheckpointError.self) {
            try GraphNetwork.load(SafeTensorsFile(tensors: negative, metadata: try network.architectureMetadata()), path: "negative")
        }
    }
}
