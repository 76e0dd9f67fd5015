import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("Compensation after removal")
struct CompensationTests {
    let data = Dataset.synthetic(count: 60, height: 4, width: 4, classCount: 3, seed: 1)

    func model() -> VGG { VGG(.mlp(inputChannels: 1, inputSize: 4, hidden: [5], classes: 3), seed: 2) }

    func logits(_ model: VGG) -> [Float] { model.forward(data.batch(Array(0..<60)[...]).images, training: false).values }

    /// Removes hidden neuron `j`; OBS's update is undamped here (δ = 0) so that it is the exact refit.
    func removeNeuron(_ j: Int, from model: VGG, _ compensation: Compensation) throws -> [Float] {
        let plan = PruningPlan(granularity: .neuron, removals: [.linear(0): [j]])
        try Surgeon.apply(plan, to: model, compensation: compensation, data: data, batchSize: 16, damping: 0)
        return logits(model)
    }

    func worst(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max()! }

    @Test("a redundant unit (a duplicate of another) is removed exactly with either compensation",
          arguments: [Compensation.obs, .leastSquares])
    func redundantUnit(compensation: Compensation) throws {
        let net = model()
        let hidden = net.linears[0]
        for q in 0..<16 { hidden.weight.value.values[3 * 16 + q] = hidden.weight.value.values[1 * 16 + q] }
        hidden.bias.value.values[3] = hidden.bias.value.values[1]
        let before = logits(net)
        let plain = try removeNeuron(3, from: try copy(net), .none)
        let repaired = try removeNeuron(3, from: net, compensation)
        #expect(worst(repaired, before) < 1e-4 && worst(plain, before) > 1e-2, "repaired \(worst(repaired, before)), plain \(worst(plain, before))")
    }

    @Test("a unit with a constant output is folded into the next bias by least squares")
    func constantUnitFolds() throws {
        let net = model()
        for q in 0..<16 { net.linears[0].weight.value.values[2 * 16 + q] = 0 }
        net.linears[0].bias.value.values[2] = 0.7
        let before = logits(net)
        let repaired = try removeNeuron(2, from: net, .leastSquares)
        #expect(worst(repaired, before) < 1e-4, "\(worst(repaired, before))")
    }

    @Test("least squares leaves the pre-activations closer to the original than removal alone")
    func closerThanRemoval() throws {
        let net = model()
        let before = logits(net)
        func error(_ values: [Float]) -> Double { zip(values, before).reduce(0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } }
        let plain = error(try removeNeuron(0, from: try copy(net), .none))
        let obs = error(try removeNeuron(0, from: try copy(net), .obs))
        let refit = error(try removeNeuron(0, from: net, .leastSquares))
        #expect(refit <= obs + 1e-9 && refit < plain, "plain \(plain), obs \(obs), least squares \(refit)")
    }

    @Test("masked granularities refuse compensation")
    func masked() {
        let plan = PruningPlan(granularity: .element, removals: [.linear(0): [0]])
        #expect(throws: PruningError.self) { try Surgeon.apply(plan, to: model(), compensation: .obs, data: data) }
    }

    func copy(_ model: VGG) throws -> VGG {
        let copy = VGG(model.configuration, seed: 0)
        for ((_, target), (_, source)) in zip(copy.namedParameters, model.namedParameters) { target.value = source.value }
        return copy
    }
}
