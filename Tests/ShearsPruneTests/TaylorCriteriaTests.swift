import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("Taylor criteria: Molchanov 2017 eq. 8 per example, the batch form, and Molchanov 2019's squared group form")
struct TaylorCriteriaTests {
    let configuration = VGGConfiguration(features: [.conv(4), .pool, .conv(6), .pool], hidden: [5], inputChannels: 1,
                                         inputSize: 8, classes: 3)
    let data = Dataset.synthetic(count: 24, height: 8, width: 8, classCount: 3, seed: 11)

    @Test("two examples whose z·∂ℓ/∂z cancel: the batch form is 0, the per-example form is not")
    func cancellation() {
        // One unit with M = 2 positions; example 0 has z·g = (+1, +2), example 1 has (−1, −2).
        // `add` receives the batch-mean gradient, i.e. per-example gradients divided by N = 2.
        var stats = ActivationStatistics(units: 1, perExample: 2)
        let z = Tensor(shape: [2, 1, 1, 2], values: [1, 2, 1, 2])
        let g = Tensor(shape: [2, 1, 1, 2], values: [0.5, 0.5, -0.5, -0.5])
        stats.add(activation: z, gradient: g, batchSize: 2)
        // Per example: |(1·1 + 2·1)/2| = 1.5 and |(−1 − 2)/2| = 1.5, averaged: 1.5.
        #expect(abs(stats.taylorPerExampleMagnitude[0] - 1.5) < 1e-12)
        #expect(stats.taylorBatchMagnitude[0] == 0)
    }

    @Test("taylor equals a brute-force per-example computation: one example per pass, |mean z·∂ℓ_n/∂z|, averaged")
    func bruteForcePerExample() throws {
        let model = VGG(configuration, seed: 5)
        let scores = try ActivationCriteria.scores(model, granularity: .filter, statistic: .taylor, data: data, batchSize: 7)
        // Brute force: each example alone (batch of one, so ∂ℓ_n/∂z is the gradient of its own loss).
        var perLayer: [[Double]] = [[Double](repeating: 0, count: 4), [Double](repeating: 0, count: 6)]
        for n in 0..<data.count {
            let single = ActivationCriteria.gather(model, data: data.subset([n]), batchSize: 1)
            for (k, units) in [(0, 4), (1, 6)] {
                let stats = single[.convolution(k)]!
                for f in 0..<units { perLayer[k][f] += abs(stats.taylor[f] / Double(stats.perExample)) / Double(data.count) }
            }
        }
        for k in 0..<2 {
            let norm = perLayer[k].reduce(0) { $0 + $1 * $1 }.squareRoot()
            for f in perLayer[k].indices {
                #expect(abs(scores[k].scores[f] - perLayer[k][f] / norm) < 1e-6, "conv \(k) filter \(f)")
            }
        }
        // The batch form differs on this data (effects of opposite sign cancel across examples).
        let batch = try ActivationCriteria.scores(model, granularity: .filter, statistic: .taylorBatch, data: data, batchSize: 7)
        #expect(zip(batch[1].scores, scores[1].scores).contains { abs($0 - $1) > 1e-3 })
    }

    @Test("taylor-sq of a filter is the squared derivative of its minibatch's loss in a gate on its output")
    func squaredGateDerivative() throws {
        let model = VGG(configuration, seed: 6)
        let minibatch = data.prefix(16)
        let scores = try TaylorSquaredCriterion.scores(model, granularity: .filter, data: minibatch, minibatch: 16)
        let (images, labels) = minibatch.batch(Array(0..<16)[...])
        func loss() -> Double { Double(CrossEntropy(logits: model.forward(images, training: false), labels: labels).loss) }
        let conv = model.convolutions[1].layer, size = conv.inChannels * 9
        // ReLU is positively homogeneous, so the loss is smooth in the gate; ε = 1e-2 keeps
        // float32 rounding of the loss (~1e-7) well below the derivatives compared.
        let epsilon: Float = 1e-2
        for f in 0..<6 {
            // Scaling the filter's weights and bias by (1 + ε) scales its output: a gate at 1 + ε.
            func scaled(_ factor: Float) -> Double {
                let saved = (conv.weight.value, conv.bias.value)
                defer { (conv.weight.value, conv.bias.value) = saved }
                for i in (f * size)..<((f + 1) * size) { conv.weight.value.values[i] *= factor }
                conv.bias.value.values[f] *= factor
                return loss()
            }
            let derivative = abs(scaled(1 + epsilon) - scaled(1 - epsilon)) / (2 * Double(epsilon))
            let computed = scores[1].scores[f].squareRoot()
            #expect(abs(computed - derivative) <= 0.03 * derivative + 2e-5, "filter \(f): |gate derivative| \(computed) vs \(derivative)")
        }
    }

    @Test("taylor-sq averages the squared group term over minibatches, not the term itself")
    func averagedOverMinibatches() throws {
        let model = VGG(configuration, seed: 7)
        let whole = try TaylorSquaredCriterion.scores(model, granularity: .neuron, data: data, minibatch: 8)
        var expected = [Double](repeating: 0, count: 5)
        for start in stride(from: 0, to: 24, by: 8) {
            let part = try TaylorSquaredCriterion.scores(model, granularity: .neuron, data: data.subset(Array(start..<(start + 8))),
                                                         minibatch: 8)
            for j in 0..<5 { expected[j] += part[0].scores[j] / 3 }
        }
        for j in 0..<5 { #expect(abs(whole[0].scores[j] - expected[j]) <= 1e-9 * max(1, expected[j]), "neuron \(j)") }
    }
}
