import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("Optimal Brain Damage")
struct ObdCriterionTests {
    @Test("the Fisher diagonal is the mean squared per-example gradient, checked one example at a time")
    func fisherDiagonal() throws {
        let configuration = VGGConfiguration(features: [.conv(3), .pool], hidden: [4], inputChannels: 1, inputSize: 6, classes: 3)
        let model = VGG(configuration, seed: 1)
        let data = Dataset.synthetic(count: 10, height: 6, width: 6, classCount: 3, seed: 2)
        let diagonal = ObdCriterion.fisherDiagonal(model, layers: [.convolution(0), .linear(1)], data: data, batchSize: 4)
        var expectedConv = [Double](repeating: 0, count: model.convolutions[0].layer.weight.value.count)
        var expectedLinear = [Double](repeating: 0, count: model.linears[1].weight.value.count)
        for n in 0..<10 {
            let (image, label) = data.batch([n])
            model.zeroGradients()
            _ = model.backward(CrossEntropy(logits: model.forward(image, training: false), labels: label).gradient)
            for (i, g) in model.convolutions[0].layer.weight.gradient.values.enumerated() { expectedConv[i] += Double(g * g) / 10 }
            for (i, g) in model.linears[1].weight.gradient.values.enumerated() { expectedLinear[i] += Double(g * g) / 10 }
        }
        let worstConv = zip(diagonal[.convolution(0)]!, expectedConv).map { abs($0 - $1) / max($1, 1e-8) }.max()!
        let worstLinear = zip(diagonal[.linear(1)]!, expectedLinear).map { abs($0 - $1) / max($1, 1e-8) }.max()!
        #expect(worstConv < 1e-3 && worstLinear < 1e-3, "relative errors \(worstConv), \(worstLinear)")
    }

    @Test("OBD scores are ½ Σ h w² over each filter")
    func scores() throws {
        let model = VGG(VGGConfiguration(features: [.conv(3), .pool], hidden: [], inputChannels: 1, inputSize: 6, classes: 3), seed: 3)
        let data = Dataset.synthetic(count: 8, height: 6, width: 6, classCount: 3, seed: 4)
        let scores = try ObdCriterion.scores(model, granularity: .filter, data: data, batchSize: 8)
        let h = ObdCriterion.fisherDiagonal(model, layers: [.convolution(0)], data: data, batchSize: 8)[.convolution(0)]!
        let w = model.convolutions[0].layer.weight.value.values
        for f in 0..<3 {
            let expected = (f * 9..<(f + 1) * 9).reduce(0.0) { $0 + h[$1] * Double(w[$1]) * Double(w[$1]) } / 2
            #expect(abs(scores[0].scores[f] - expected) <= 1e-9 * expected)
        }
    }
}
