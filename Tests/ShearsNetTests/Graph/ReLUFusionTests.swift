import Testing
@testable import ShearsNet

@Suite("ReLUs computed inside the node before them")
struct ReLUFusionTests {
    /// The output, the input gradient, every parameter gradient and every BatchNorm's running
    /// statistics after one forward and backward pass of `specification` built from one seed.
    func pass(_ specification: GraphSpecification, fusing: Bool, training: Bool, input: Tensor,
              algorithm: ConvolutionAlgorithm) throws -> [[Float]] {
        let network = try GraphNetwork(specification, seed: 1)
        for case let conv as Conv2D in network.nodes.map(\.layer) { conv.algorithm = algorithm }
        randomizeBatchNorms(network, seed: 2)
        network.fusesReLUs = fusing
        let output = network.forward(input, training: training)
        let inputGradient = network.backward(randomTensor(output.shape, seed: 3))
        let norms = network.nodes.compactMap { $0.layer as? BatchNorm2D }
        return [output.values, inputGradient.values] + network.parameters.map(\.gradient.values)
            + norms.flatMap { [$0.runningMean, $0.runningVariance] }
    }

    @Test("vgg-s fuses its conv → ReLU pairs, resnet-s its BatchNorm → ReLU and add → ReLU pairs")
    func fusionsFound() throws {
        let vgg = try GraphNetwork(VGGConfiguration.vggS.graph, seed: 1)
        let vggPairs = vgg.reluFusions.map { (vgg.nodes[$0.key].layer, vgg.nodes[$0.value].operation) }
        #expect(vggPairs.count == 5 && vggPairs.allSatisfy { $0.0 is Conv2D && $0.1 == .relu })
        let resnet = try GraphNetwork(ResNet.small, seed: 1)
        let producers = resnet.reluFusions.keys.map { resnet.nodes[$0] }
        #expect(producers.filter { $0.layer is BatchNorm2D }.count == 10)
        #expect(producers.filter { $0.operation == .add }.count == 9)
        #expect(resnet.reluFusions.count == 19)
    }

    @Test("backward masks ∂X inside the conv after a ReLU it alone reads: vgg-s's features.1 and features.6, resnet-s's nine first ReLUs")
    func backwardFusionsFound() throws {
        let vgg = try GraphNetwork(VGGConfiguration.vggS.graph, seed: 1)
        #expect(vgg.reluBackwardFusions.map { vgg.nodes[$0.value].name }.sorted() == ["features.1", "features.6"])
        #expect(vgg.reluBackwardFusions.allSatisfy { vgg.nodes[$0.key].layer is Conv2D && vgg.nodes[$0.key].inputs == [$0.value] })
        let resnet = try GraphNetwork(ResNet.small, seed: 1)
        #expect(resnet.reluBackwardFusions.map { resnet.nodes[$0.value].name }.allSatisfy { $0.hasSuffix(".relu1") })
        #expect(resnet.reluBackwardFusions.count == 9)
    }

    @Test("fused and unfused passes give the same bits: outputs, gradients, running statistics, by the direct kernels and by im2col",
          arguments: [true, false], [ConvolutionAlgorithm.direct, .im2col])
    func sameBits(training: Bool, algorithm: ConvolutionAlgorithm) throws {
        let cases: [(String, GraphSpecification, [Int])] = [
            ("vgg-s", VGGConfiguration.vggS.graph, [3, 1, 28, 28]), ("resnet-s", ResNet.small, [2, 1, 28, 28]),
            ("residual test graph", residualTestGraph(), [3, 2, 5, 5]),
        ]
        for (name, specification, shape) in cases {
            let input = randomTensor(shape, seed: 4)
            let fused = try pass(specification, fusing: true, training: training, input: input, algorithm: algorithm)
            let unfused = try pass(specification, fusing: false, training: training, input: input, algorithm: algorithm)
            let differing = zip(fused, unfused).enumerated().filter { pair in
                pair.element.0.map(\.bitPattern) != pair.element.1.map(\.bitPattern)
            }.map(\.offset)
            #expect(fused.count == unfused.count && differing.isEmpty, "\(name): arrays \(differing) of \(fused.count) differ")
        }
    }

    @Test("while recording nothing is fused: a conv's recorded output keeps its negative values")
    func recordingKeepsLayerOutputs() throws {
        let network = try GraphNetwork(VGGConfiguration.vggS.graph, seed: 1)
        network.isRecording = true
        _ = network.forward(randomTensor([2, 1, 28, 28], seed: 5), training: false)
        let conv = try #require(network.reluFusions.keys.min())
        #expect(network.recordedOutputs[conv].values.contains { $0 < 0 })
        #expect(!network.recordedOutputs[network.reluFusions[conv]!].values.contains { $0 < 0 })
    }
}
