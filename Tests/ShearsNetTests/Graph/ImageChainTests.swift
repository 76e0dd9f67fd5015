import Testing
@testable import ShearsNet

/// `GraphNetwork.predict`'s depth-first chains of direct convs (`imageChains`): every image
/// through all of a chain's convs before the next, with the same bits as layer by layer.
@Suite("Depth-first inference over chains of direct convs")
struct ImageChainTests {
    func differing(_ a: [Float], _ b: [Float]) -> Int {
        a.count == b.count ? zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count : .max
    }

    func setAlgorithm(_ algorithm: ConvolutionAlgorithm, _ network: GraphNetwork) {
        for case let conv as Conv2D in network.nodes.map(\.layer) { conv.algorithm = algorithm }
    }

    @Test("vgg-s (full and at odd widths) is one chain of its five convs; predict = forward(training: false) bit for bit, and = layer by layer")
    func vggIsOneChain() throws {
        for width in [1.0, 0.3] {
            let network = try GraphNetwork(VGGConfiguration.vggS.scaled(by: width).graph, seed: 3)
            setAlgorithm(.direct, network)
            let chains = network.imageChains
            #expect(chains.count == 1 && chains[0].count == 5)
            #expect(chains[0].map(\.pooled) == [false, true, false, true, true] && chains[0].allSatisfy(\.relu))
            let input = randomTensor([5, 1, 28, 28], seed: 3100)
            let forward = network.forward(input, training: false), predicted = network.predict(input)
            network.runsImagesDepthFirst = false
            let layerByLayer = network.predict(input)
            network.runsImagesDepthFirst = true
            #expect(differing(predicted.values, forward.values) == 0, "width \(width)")
            #expect(differing(predicted.values, layerByLayer.values) == 0, "width \(width)")
            setAlgorithm(.kernelRows, network)
            #expect(network.imageChains.isEmpty)
            setAlgorithm(.direct, network)
        }
    }

    @Test("a conv read twice ends its chain; stride 2, no ReLU and a branch stay exact")
    func branchesEndChains() throws {
        var builder = GraphBuilder(inputShape: [3, 13, 11])
        let a = builder.conv("a", builder.input, outChannels: 6, kernelSize: 3, padding: 1)
        let b = builder.conv("b", builder.relu("a.relu", a), outChannels: 5, kernelSize: 3, stride: 2, padding: 1)
        let c = builder.conv("c", b, outChannels: 7, kernelSize: 3, padding: 1)
        let d = builder.conv("d", builder.relu("c.relu", c), outChannels: 7, kernelSize: 3, padding: 1)
        let e = builder.conv("e", d, outChannels: 7, kernelSize: 3, padding: 1)
        let sum = builder.add("sum", [d, e])
        builder.linear("fc", builder.flatten("flat", builder.relu("sum.relu", sum)), outFeatures: 4)
        let network = try builder.build(seed: 4)
        setAlgorithm(.direct, network)
        // a → b → c → d is a chain; d is read by e and by the sum, so e starts none.
        let chains = network.imageChains.map { $0.map { network.nodes[$0.conv].name } }
        #expect(chains == [["a", "b", "c", "d"]])
        let input = randomTensor([3, 3, 13, 11], seed: 3200)
        #expect(differing(network.predict(input).values, network.forward(input, training: false).values) == 0)
    }
}
