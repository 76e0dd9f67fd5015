import Testing
@testable import ShearsNet

@Suite("Per-sample gradients")
struct PerSampleGradientTests {
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
