import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("Taylor (weight form) and the oracle")
struct GradientOracleTests {
    let configuration = VGGConfiguration(features: [.conv(4), .pool, .conv(6), .pool], hidden: [5], inputChannels: 1,
                                         inputSize: 8, classes: 3)
    let data = Dataset.synthetic(count: 48, height: 8, width: 8, classCount: 3, seed: 1)

    @Test("taylor-weight predicts the loss change of scaling a kernel group by 1 − ε")
    func taylorWeightFirstOrder() throws {
        let model = VGG(configuration, seed: 2)
        let scores = try GradientCriteria.taylorWeight(model, granularity: .kernel, data: data, batchSize: 20)
        let base = SubsetLoss.meanLoss(model, data: data, batchSize: 20)
        let conv = model.convolutions[1].layer
        let layout = GroupLayout(.kernel, weightShape: conv.weight.value.shape)!
        let epsilon: Float = 1e-2
        for group in stride(from: 0, to: layout.groupCount, by: 5) {
            let saved = conv.weight.value
            for i in layout.indices(group) { conv.weight.value.values[i] *= 1 - epsilon }
            let measured = SubsetLoss.meanLoss(model, data: data, batchSize: 20) - base
            conv.weight.value = saved
            let predicted = Double(epsilon) * scores[1].scores[group]
            #expect(abs(abs(measured) - predicted) <= 0.05 * predicted + 2e-6, "group \(group): \(measured) vs ±\(predicted)")
        }
    }

    @Test("the oracle's loss change equals that of physically removing the filter or neuron")
    func oracleMatchesRemoval() throws {
        let model = VGG(configuration, seed: 3)
        let filters = try OracleCriterion.scores(model, granularity: .filter, signed: true, data: data, batchSize: 16)
        let neurons = try OracleCriterion.scores(model, granularity: .neuron, signed: true, data: data, batchSize: 16)
        let base = SubsetLoss.meanLoss(model, data: data, batchSize: 16)
        for (k, f) in [(0, 2), (1, 0), (1, 5)] {
            let copy = try roundTrip(model)
            copy.keepFilters(ofConvolution: k, (0..<copy.convolutions[k].layer.outChannels).filter { $0 != f })
            let removed = SubsetLoss.meanLoss(copy, data: data, batchSize: 16) - base
            #expect(abs(removed - filters[k].scores[f]) < 1e-6, "conv\(k) filter \(f)")
        }
        let copy = try roundTrip(model)
        copy.keepNeurons(ofHidden: 0, [0, 1, 3, 4])
        #expect(abs(SubsetLoss.meanLoss(copy, data: data, batchSize: 16) - base - neurons[0].scores[2]) < 1e-6)
        let absolute = try OracleCriterion.scores(model, granularity: .filter, signed: false, data: data, batchSize: 16)
        #expect(absolute[1].scores == filters[1].scores.map(abs))
        // The model itself is left as it was.
        #expect(abs(SubsetLoss.meanLoss(model, data: data, batchSize: 16) - base) == 0)
    }

    @Test("the oracle refuses element granularity on a full-size model")
    func oracleLimit() {
        #expect(throws: PruningError.self) {
            try OracleCriterion.scores(VGG(.vggS, seed: 1), granularity: .element, signed: true, data: data.prefix(1), batchSize: 1)
        }
    }

    /// An independent copy of a model (same architecture, parameter values copied).
    func roundTrip(_ model: VGG) throws -> VGG {
        let copy = VGG(model.configuration, seed: 0)
        for ((_, target), (_, source)) in zip(copy.namedParameters, model.namedParameters) { target.value = source.value }
        return copy
    }
}
