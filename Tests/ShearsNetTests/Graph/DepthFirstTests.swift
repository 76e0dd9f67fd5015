import Testing
@testable import ShearsNet

/// `GraphNetwork.predict`'s depth-first segments (`depthFirstSegments`): every image through
/// all of a segment's steps before the next, with the same bits as layer by layer.
@Suite("Depth-first inference")
struct DepthFirstTests {
    func differing(_ a: [Float], _ b: [Float]) -> Int {
        a.count == b.count ? zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count : .max
    }

    func setAlgorithm(_ algorithm: ConvolutionAlgorithm, _ network: GraphNetwork) {
        for case let conv as Conv2D in network.nodes.map(\.layer) { conv.algorithm = algorithm }
    }

    /// `predict` depth-first, `predict` layer by layer and `forward(training: false)` differ in no bit.
    func expectSameBits(_ network: GraphNetwork, _ input: Tensor, _ label: String) {
        let predicted = network.predict(input)
        network.runsImagesDepthFirst = false
        let layerByLayer = network.predict(input)
        network.runsImagesDepthFirst = true
        #expect(differing(predicted.values, layerByLayer.values) == 0, "\(label)")
        #expect(differing(predicted.values, network.forward(input, training: false).values) == 0, "\(label)")
    }

    @Test("vgg-s (full and at odd widths) is one segment of its five convs with their ReLUs and pools, written only at its end")
    func vggIsOneSegment() throws {
        for width in [1.0, 0.3] {
            let network = try GraphNetwork(VGGConfiguration.vggS.scaled(by: width).graph, seed: 3)
            setAlgorithm(.direct, network)
            let segments = network.depthFirstSegments
            #expect(segments.count == 1)
            let steps = segments.first?.steps ?? []
            #expect(steps.map(\.operation) == Array(repeating: .directConv, count: 5))
            #expect(steps.map(\.pooled) == [false, true, false, true, true] && steps.allSatisfy(\.relu))
            #expect(segments.first?.materialized == [false, false, false, false, true] && segments.first?.slotCount == 2)
            expectSameBits(network, randomTensor([5, 1, 28, 28], seed: 3100), "vgg-s width \(width)")
            setAlgorithm(.kernelRows, network)
            #expect(network.depthFirstSegments.isEmpty)
        }
    }

    @Test("resnet-s runs depth-first in three segments split by its 1x1 downsamples: BatchNorm, residual sums and the pool, same bits")
    func resnetRunsDepthFirst() throws {
        let network = try GraphNetwork(ResNet.small, seed: 5)
        setAlgorithm(.direct, network)
        // Running statistics away from 0 and 1, as after training.
        var rng = SeededGenerator(seed: 3300)
        for case let norm as BatchNorm2D in network.nodes.map(\.layer) {
            norm.runningMean = norm.runningMean.map { _ in rng.nextGaussian() * 0.3 }
            norm.runningVariance = norm.runningVariance.map { _ in 0.5 + abs(rng.nextGaussian()) }
            norm.weight.value.values = norm.weight.value.values.map { _ in 1 + 0.2 * rng.nextGaussian() }
        }
        let segments = network.depthFirstSegments
        let downsamples = network.nodes.indices.filter { network.nodes[$0].name.hasSuffix("downsample.0") }
        #expect(segments.count == 3 && downsamples.count == 2)
        #expect(segments.dropFirst().map(\.steps[0].node) == downsamples.map { $0 + 1 })
        #expect(Set(segments.flatMap { $0.steps.map(\.operation) }) == [.directConv, .batchNorm, .add, .globalAveragePool])
        // Every node but the downsamples, flatten and fc, each fused ReLU inside its step.
        let stepNodes = segments.flatMap { $0.steps.flatMap(\.covered) }
        #expect(stepNodes.count == network.nodes.count - 4 && Set(stepNodes).count == stepNodes.count)
        // Written for the batch: what each downsample reads and what it is added to, and the pool.
        #expect(segments.map { $0.materialized.filter { $0 }.count } == [2, 2, 1])
        expectSameBits(network, randomTensor([3, 1, 28, 28], seed: 3301), "resnet-s")
    }

    @Test("a conv read twice stays in a slot until its last reader; stride 2, no ReLU, a standalone ReLU, a 3-way sum, a concat and a 1x1 conv between segments stay exact")
    func branches() throws {
        var builder = GraphBuilder(inputShape: [3, 13, 11])
        let a = builder.conv("a", builder.input, outChannels: 6, kernelSize: 3, padding: 1)
        let b = builder.conv("b", builder.relu("a.relu", a), outChannels: 5, kernelSize: 3, stride: 2, padding: 1)
        let c = builder.conv("c", b, outChannels: 7, kernelSize: 3, padding: 1)
        let d = builder.conv("d", builder.relu("c.relu", c), outChannels: 7, kernelSize: 3, padding: 1)
        let e = builder.conv("e", d, outChannels: 7, kernelSize: 3, padding: 1)
        let sum = builder.add("sum", [d, e, c])
        let relu = builder.relu("sum.relu", sum)
        // The concat ends the first segment; the next starts after it.
        let joined = builder.concat("joined", [relu, d])
        let f = builder.conv("f", joined, outChannels: 4, kernelSize: 1)
        // f (1x1, not direct) runs over the batch with its fused ReLU; g and h form a segment.
        let g = builder.conv("g", builder.relu("f.relu", f), outChannels: 4, kernelSize: 3, padding: 1)
        let h = builder.conv("h", g, outChannels: 4, kernelSize: 3, padding: 1)
        builder.linear("fc", builder.flatten("flat", h), outFeatures: 4)
        let network = try builder.build(seed: 4)
        setAlgorithm(.direct, network)
        let names = network.depthFirstSegments.map { $0.steps.map { network.nodes[$0.node].name } }
        // c is read by its ReLU and by the sum, so the ReLU is a step of its own.
        #expect(names == [["a", "b", "c", "c.relu", "d", "e", "sum"], ["g", "h"]])
        // d is read inside and by the concat after the segment: written for the batch; c, read
        // only inside, lives in a slot until the sum.
        let first = network.depthFirstSegments.first
        #expect(first.map { zip($0.steps, $0.materialized).filter { $1 }.map { network.nodes[$0.0.node].name } } == ["d", "sum"])
        expectSameBits(network, randomTensor([3, 3, 13, 11], seed: 3200), "branches")
    }
}
