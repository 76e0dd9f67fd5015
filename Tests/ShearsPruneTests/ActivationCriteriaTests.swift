import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("Activation-based criteria")
struct ActivationCriteriaTests {
    let configuration = VGGConfiguration(features: [.conv(4), .pool, .conv(6), .pool], hidden: [5], inputChannels: 1,
                                         inputSize: 8, classes: 3)
    let data = Dataset.synthetic(count: 40, height: 8, width: 8, classCount: 3, seed: 1)

    @Test("mean activation and APoZ equal direct counts over the first conv's ReLU output")
    func meanAndAPoZ() throws {
        let model = VGG(configuration, seed: 2)
        let means = try ActivationCriteria.scores(model, granularity: .filter, statistic: .mean, data: data, batchSize: 16)
        let apoz = try ActivationCriteria.scores(model, granularity: .filter, statistic: .apoz, data: data, batchSize: 16)
        let (images, _) = data.batch(Array(0..<40)[...])
        let z = model.features.layers[1].forward(model.features.layers[0].forward(images, training: false), training: false)
        for f in 0..<4 {
            var sum = 0.0, zeros = 0.0
            for n in 0..<40 { for q in 0..<64 { let v = Double(z.values[(n * 4 + f) * 64 + q]); sum += v; if v == 0 { zeros += 1 } } }
            #expect(abs(means[0].scores[f] - sum / 2560) < 1e-6)
            #expect(abs(apoz[0].scores[f] - (1 - zeros / 2560)) < 1e-12)
        }
        #expect(means.map(\.groups.count) == [4, 6])
    }

    @Test("Taylor: the first-order term predicts the loss change of scaling a filter by 1 − ε")
    func taylorFirstOrder() throws {
        let model = VGG(configuration, seed: 3)
        let batch = data.prefix(32)
        let stats = ActivationCriteria.gather(model, data: batch, batchSize: 32)
        let (images, labels) = batch.batch(Array(0..<32)[...])
        func loss() -> Double { Double(CrossEntropy(logits: model.forward(images, training: false), labels: labels).loss) }
        let base = loss()
        let epsilon: Float = 1e-2
        for f in 0..<6 {
            let conv = model.convolutions[1].layer
            let saved = (conv.weight.value, conv.bias.value)
            let size = conv.inChannels * 9
            for i in (f * size)..<((f + 1) * size) { conv.weight.value.values[i] *= 1 - epsilon }
            conv.bias.value.values[f] *= 1 - epsilon
            let measured = loss() - base
            (conv.weight.value, conv.bias.value) = saved
            // ReLU is positively homogeneous, so z scales by 1 − ε: ΔL ≈ −ε Σ z·∂L/∂z = −ε · taylor / N.
            let predicted = -Double(epsilon) * stats[.convolution(1)]!.taylor[f] / 32
            #expect(abs(measured - predicted) <= 0.05 * abs(predicted) + 2e-6, "filter \(f): \(measured) vs \(predicted)")
        }
    }

    @Test("Taylor scores are l2-normalised per layer; channel scores come from the producing filters")
    func normalisation() throws {
        let model = VGG(configuration, seed: 4)
        let taylor = try ActivationCriteria.scores(model, granularity: .filter, statistic: .taylor, data: data)
        for layer in taylor { #expect(abs(layer.scores.reduce(0) { $0 + $1 * $1 } - 1) < 1e-9) }
        let channel = try ActivationCriteria.scores(model, granularity: .channel, statistic: .mean, data: data)
        let filter = try ActivationCriteria.scores(model, granularity: .filter, statistic: .mean, data: data)
        #expect(channel.count == 1 && channel[0].scores == filter[0].scores)
        #expect(throws: PruningError.self) {
            try ActivationCriteria.scores(model, granularity: .element, statistic: .mean, data: data)
        }
    }
}
