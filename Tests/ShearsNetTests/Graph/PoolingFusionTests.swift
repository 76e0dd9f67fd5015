import Testing
@testable import ShearsNet

/// `GraphNetwork.predict`'s conv → ReLU → 2x2 max-pool chains, computed inside the direct conv
/// (`Conv2D.predictThenReLUAndMaxPool`): the same bits as the three layers run one after
/// another, NaN and −0 included.
@Suite("Max-pooling computed inside the direct conv before it")
struct PoolingFusionTests {
    /// Positions whose bits differ (NaN equal to NaN of the same bits), or `Int.max` for arrays
    /// of different lengths.
    func differing(_ a: [Float], _ b: [Float]) -> Int {
        a.count == b.count ? zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count : .max
    }

    /// `(C, F, H, W)`: vgg-s's three pooled convs, odd sizes (a last row or column dropped), a
    /// 3 x 3 map pooled to one value.
    static let shapes: [(Int, Int, Int, Int)] = [(32, 32, 28, 28), (64, 64, 14, 14), (64, 128, 7, 7), (5, 3, 5, 4), (3, 2, 3, 3)]

    @Test("pooled in the kernels' output copy = MaxPool2D(ReLU(conv)), bit for bit, AVX2 and plain C", arguments: shapes.indices)
    func pooledEqualsSeparatePasses(index: Int) {
        let (c, f, h, w) = Self.shapes[index]
        var rng = SeededGenerator(seed: 1700 + UInt64(index))
        let conv = Conv2D(inChannels: c, outChannels: f, kernelSize: 3, padding: 1, rng: &rng)
        conv.algorithm = .direct
        // An offset with NaN, −0 and large negative values: windows of NaN, of zeros after the
        // ReLU, and ties.
        var offset = randomTensor([f, h, w], seed: 1800 + UInt64(index))
        for i in offset.values.indices {
            switch i % 11 { case 3: offset.values[i] = .nan; case 5: offset.values[i] = -1e6; case 7: offset.values[i] = -0.0; default: break }
        }
        conv.outputOffset = offset
        let x = randomTensor([2, c, h, w], seed: 1900 + UInt64(index))
        let separate = MaxPool2D().forward(ReLU().forward(conv.forward(x, training: false), training: false), training: false)
        let fused = conv.predictThenReLUAndMaxPool(x)
        #expect(fused.shape == separate.shape && fused.shape == [2, f, h / 2, w / 2])
        #expect(differing(fused.values, separate.values) == 0, "shape \(Self.shapes[index])")
        #expect(index >= 3 || fused.values.contains { $0.isNaN })

        let packed = conv.directPackedFilters(rotated: false)
        let start = conv.startValues(conv.geometry(x.shape))
        let scratch = DirectScratch(inputs: c, outputs: f, height: h, width: w)
        let count = f * (h / 2) * (w / 2)
        func pooled(_ kernels: ConvolutionKernels) -> [Float] {
            [Float](unsafeUninitializedCapacity: count) { y, initialized in
                x.values.withUnsafeBufferPointer { images in
                    scratch.convolve(images.baseAddress!, packed, start: start, relu: true, pooled: true, kernels: kernels,
                                     into: y.baseAddress!)
                }
                initialized = count
            }
        }
        #expect(differing(pooled(.fastest), pooled(.portable)) == 0)
        #expect(differing(pooled(.portable), Array(separate.values.prefix(count))) == 0)
    }

    @Test("vgg-s has three chains when its convs run direct, none by kernel rows; predict = forward(training: false) either way")
    func predictEqualsForward() throws {
        let network = try GraphNetwork(VGGConfiguration.vggS.graph, seed: 1)
        let input = randomTensor([3, 1, 28, 28], seed: 2000)
        for algorithm in [ConvolutionAlgorithm.direct, .kernelRows] {
            for case let conv as Conv2D in network.nodes.map(\.layer) { conv.algorithm = algorithm }
            let chains = network.poolingFusions
            #expect(chains.count == (algorithm == .direct ? 3 : 0))
            #expect(chains.allSatisfy { network.nodes[$0.value.relu].operation == .relu && network.nodes[$0.value.pool].layer is MaxPool2D })
            let forward = network.forward(input, training: false), predicted = network.predict(input)
            #expect(differing(predicted.values, forward.values) == 0, "\(algorithm)")
        }
        let resnet = try GraphNetwork(ResNet.small, seed: 1)
        for case let conv as Conv2D in resnet.nodes.map(\.layer) { conv.algorithm = .direct }
        #expect(resnet.poolingFusions.isEmpty)
    }

    @Test("a forward after predict still trains: backward reads the forward's caches")
    func forwardAfterPredictHasGradients() throws {
        let network = try GraphNetwork(VGGConfiguration.vggS.graph, seed: 1)
        for case let conv as Conv2D in network.nodes.map(\.layer) { conv.algorithm = .direct }
        let input = randomTensor([2, 1, 28, 28], seed: 2100)
        _ = network.predict(input)
        let output = network.forward(input, training: true)
        let inputGradient = network.backward(randomTensor(output.shape, seed: 2101))
        #expect(inputGradient.shape == input.shape)
        #expect(network.parameters.allSatisfy { $0.gradient.values.contains { $0 != 0 } })
    }
}
