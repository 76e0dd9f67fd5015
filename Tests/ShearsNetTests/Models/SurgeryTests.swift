import Testing
@testable import ShearsNet

@Suite("Structural resizing")
struct SurgeryTests {
    /// Zeroes filter `f` of convolution `k` (weights and bias), so it outputs ReLU(0) = 0.
    func silence(_ model: VGG, convolution k: Int, filter f: Int) {
        let conv = model.convolutions[k].layer
        let size = conv.inChannels * 9
        for i in (f * size)..<((f + 1) * size) { conv.weight.value.values[i] = 0 }
        conv.bias.value.values[f] = 0
    }

    @Test("removing dead filters and neurons leaves the outputs unchanged", arguments: [false, true])
    func deadUnitsRemovedExactly(batchNorm: Bool) {
        var configuration = VGGConfiguration.vggS.scaled(by: 0.25)
        configuration.batchNorm = batchNorm
        let model = VGG(configuration, seed: 5)
        let x = randomTensor([3, 1, 28, 28], seed: 6)
        // With batch norm a silenced conv still outputs β through ReLU; make β = 0 too.
        for (k, f) in [(0, 1), (2, 3), (4, 0), (4, 5)] {
            silence(model, convolution: k, filter: f)
            if batchNorm, let norm = model.features.layers[model.convolutions[k].position + 1] as? BatchNorm2D {
                norm.bias.value.values[f] = 0
            }
        }
        let hidden = model.linears[0]
        for i in (7 * hidden.inFeatures)..<(8 * hidden.inFeatures) { hidden.weight.value.values[i] = 0 }
        hidden.bias.value.values[7] = 0
        let before = model.forward(x, training: false)
        model.keepFilters(ofConvolution: 0, (0..<8).filter { $0 != 1 })
        model.keepFilters(ofConvolution: 2, (0..<16).filter { $0 != 3 })
        model.keepFilters(ofConvolution: 4, (0..<32).filter { $0 != 0 && $0 != 5 })
        model.keepNeurons(ofHidden: 0, (0..<256).filter { $0 != 7 })
        let after = model.forward(x, training: false)
        let worst = zip(before.values, after.values).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-5, "outputs moved by \(worst)")
        #expect(model.configuration.features == [.conv(7), .conv(8), .pool, .conv(15), .conv(16), .pool, .conv(30), .pool])
        #expect(model.configuration.hidden == [255])
    }

    @Test("removing live units changes exactly the expected shapes and keeps the rest bit-exact")
    func shapesAfterSurgery() {
        let model = VGG(.vggS, seed: 7)
        let conv2Before = model.convolutions[1].layer.weight.value
        let firstLinearBefore = model.linears[0].weight.value
        model.keepFilters(ofConvolution: 0, [0, 5, 9])
        model.keepFilters(ofConvolution: 4, Array(0..<100))
        let shapes = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.0, $0.1.value.shape) })
        #expect(shapes["features.0.weight"] == [3, 1, 3, 3] && shapes["features.0.bias"] == [3])
        #expect(shapes["features.2.weight"] == [32, 3, 3, 3])
        #expect(shapes["features.10.weight"] == [100, 64, 3, 3])
        #expect(shapes["classifier.0.weight"] == [256, 900])
        #expect(model.configuration.flattenedFeatures == 900)
        #expect(model.convolutions[1].layer.weight.value == conv2Before.selecting([0, 5, 9], alongAxis: 1))
        #expect(model.linears[0].weight.value == firstLinearBefore.selecting(Array(0..<900), alongAxis: 1))
        #expect(model.forward(Tensor(shape: [1, 1, 28, 28]), training: false).shape == [1, 10])
    }

    @Test("masks are sliced with their weights")
    func masksFollow() {
        let model = VGG(.vggS.scaled(by: 0.25), seed: 8)
        let conv = model.convolutions[0].layer
        conv.weight.mask = (0..<conv.weight.value.count).map { Float($0 % 2) }
        model.keepFilters(ofConvolution: 0, [1, 2])
        #expect(conv.weight.mask == (9..<27).map { Float($0 % 2) })
    }
}

@Suite("Recording and per-sample gradients")
struct RecordingTests {
    @Test("recorded outputs and output gradients match a manual pass")
    func recording() {
        var rng = SeededGenerator(seed: 1)
        let linear = Linear(inFeatures: 4, outFeatures: 3, rng: &rng)
        let net = Sequential([linear, ReLU(), Linear(inFeatures: 3, outFeatures: 2, rng: &rng)])
        net.isRecording = true
        let x = randomTensor([5, 4], seed: 2)
        let y = net.forward(x, training: true)
        let loss = CrossEntropy(logits: y, labels: [0, 1, 0, 1, 1])
        _ = net.backward(loss.gradient)
        #expect(net.recordedOutputs.count == 3 && net.recordedOutputs[2] == y)
        #expect(net.recordedOutputs[0] == linear.forward(x, training: true))
        #expect(net.recordedOutputGradients[2] == loss.gradient)
        net.isRecording = false
        #expect(net.recordedOutputs.isEmpty)
    }

    @Test("per-sample weight gradients sum to the batch gradient", arguments: [false, true])
    func perSampleSum(convolution: Bool) {
        var rng = SeededGenerator(seed: 3)
        let layer: Layer = convolution
            ? Conv2D(inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1, rng: &rng)
            : Linear(inFeatures: 6, outFeatures: 4, rng: &rng)
        let x = randomTensor(convolution ? [4, 2, 5, 5] : [4, 6], seed: 4)
        let dy = randomTensor(layer.outputShape(for: x.shape), seed: 5)
        layer.parameters.forEach { $0.zeroGradient() }
        _ = layer.forward(x, training: true)
        _ = layer.backward(dy)
        var sum = [Float](repeating: 0, count: layer.parameters[0].value.count)
        var samples = 0
        let accumulate: (Int, UnsafeBufferPointer<Float>) -> Void = { _, g in
            samples += 1
            for i in 0..<g.count { sum[i] += g[i] }
        }
        if let conv = layer as? Conv2D {
            conv.forEachSampleWeightGradient(input: x, outputGradient: dy, accumulate)
        } else if let linear = layer as? Linear {
            linear.forEachSampleWeightGradient(input: x, outputGradient: dy, accumulate)
        }
        #expect(samples == 4)
        let worst = zip(sum, layer.parameters[0].gradient.values).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-4, "per-sample sum differs by \(worst)")
    }
}
