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
        let diagonal = ObdCriterion.hessianDiagonal(model, layers: [.convolution(0), .linear(1)], data: data, batchSize: 4, kind: .empiricalFisher)
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
        let h = ObdCriterion.hessianDiagonal(model, layers: [.convolution(0)], data: data, batchSize: 8, kind: .empiricalFisher)[.convolution(0)]!
        let w = model.convolutions[0].layer.weight.value.values
        for f in 0..<3 {
            let expected = (f * 9..<(f + 1) * 9).reduce(0.0) { $0 + h[$1] * Double(w[$1]) * Double(w[$1]) } / 2
            #expect(abs(scores[0].scores[f] - expected) <= 1e-9 * expected)
        }
    }

    /// Weights of every linear layer, in order, with the layer they belong to.
    func linearWeights(_ model: VGG) -> [(layer: PrunableLayer, parameter: Parameter)] {
        model.linears.indices.map { (PrunableLayer.linear($0), model.linears[$0].weight) }
    }

    @Test("Gauss–Newton diagonal = finite-difference second derivatives for a linear model with squared error")
    func gaussNewtonLinearSquaredError() throws {
        let model = VGG(.mlp(inputChannels: 1, inputSize: 4, hidden: [], classes: 3), seed: 5)
        let data = Dataset.synthetic(count: 12, height: 4, width: 4, classCount: 3, seed: 6)
        let (images, labels) = data.batch(Array(0..<12)[...])
        /// Mean over samples of ½‖z − onehot(y)‖², in Double.
        func loss() -> Double {
            let z = model.forward(images, training: false).values
            return (0..<12).reduce(0.0) { total, n in
                total + (0..<3).reduce(0.0) { sum, c in
                    let r = Double(z[n * 3 + c]) - (labels[n] == c ? 1 : 0)
                    return sum + r * r / 2
                }
            } / 12
        }
        let diagonal = ObdCriterion.hessianDiagonal(model, layers: [.linear(0)], data: data, batchSize: 5,
                                                    kind: .gaussNewton(.squaredError))[.linear(0)]!
        let weight = model.linears[0].weight
        let epsilon: Float = 0.125  // a power of two: w ± ε is exact in Float for these weights
        var worst = 0.0
        for q in 0..<weight.value.count {
            let w = weight.value.values[q]
            weight.value.values[q] = w + epsilon
            let up = loss()
            weight.value.values[q] = w - epsilon
            let down = loss()
            weight.value.values[q] = w
            let secondDifference = (up - 2 * loss() + down) / Double(epsilon * epsilon)
            worst = max(worst, abs(secondDifference - diagonal[q]) / diagonal[q])
        }
        #expect(worst < 1e-3, "worst relative error \(worst)")
    }

    @Test("the exact diagonal of a ReLU MLP's cross-entropy matches finite differences; the empirical Fisher does not")
    func exactDiagonalMLP() throws {
        let model = VGG(.mlp(inputChannels: 1, inputSize: 4, hidden: [6], classes: 3), seed: 7)
        let data = Dataset.synthetic(count: 16, height: 4, width: 4, classCount: 3, seed: 8)
        let (images, labels) = data.batch(Array(0..<16)[...])
        let layers: [PrunableLayer] = [.linear(0), .linear(1)]
        let exact = ObdCriterion.hessianDiagonal(model, layers: layers, data: data, batchSize: 7, kind: .gaussNewton(.crossEntropy))
        let fisher = ObdCriterion.hessianDiagonal(model, layers: layers, data: data, batchSize: 7, kind: .empiricalFisher)
        /// ∂L/∂w_q of the mean cross-entropy, by backpropagation.
        func gradient(_ weight: Parameter, _ q: Int) -> Double {
            model.zeroGradients()
            _ = model.backward(CrossEntropy(logits: model.forward(images, training: false), labels: labels).gradient)
            return Double(weight.gradient.values[q])
        }
        var (worstExact, worstFisher, scale) = (0.0, 0.0, 0.0)
        for (layer, weight) in linearWeights(model) {
            for q in 0..<weight.value.count {
                let w = weight.value.values[q], epsilon: Float = 1e-3
                weight.value.values[q] = w + epsilon
                let up = gradient(weight, q)
                weight.value.values[q] = w - epsilon
                let down = gradient(weight, q)
                weight.value.values[q] = w
                let finiteDifference = (up - down) / Double(2 * epsilon)
                scale = max(scale, abs(finiteDifference))
                worstExact = max(worstExact, abs(exact[layer]![q] - finiteDifference))
                worstFisher = max(worstFisher, abs(fisher[layer]![q] - finiteDifference))
            }
        }
        #expect(worstExact < 1e-2 * scale, "exact diagonal off by \(worstExact) (largest entry \(scale))")
        #expect(worstFisher > 5e-2 * scale, "the empirical Fisher should differ: \(worstFisher)")
    }
}
