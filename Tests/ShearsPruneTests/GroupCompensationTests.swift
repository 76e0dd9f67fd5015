import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("Compensation of the layer that reads removed channels")
struct GroupCompensationTests {
    let data = Dataset.synthetic(count: 60, height: 4, width: 4, classCount: 3, seed: 1)

    /// 16 inputs, a hidden layer of 5 (the one prunable group), 3 logits.
    func network() throws -> GraphNetwork {
        try GraphNetwork(VGGConfiguration.mlp(inputChannels: 1, inputSize: 4, hidden: [5], classes: 3).graph, seed: 2)
    }

    func logits(_ network: GraphNetwork) -> [Float] {
        network.forward(data.batch(Array(0..<data.count)[...]).images, training: false).values
    }

    /// Removes hidden neuron `j` after repairing the logits layer by `compensation`; OBS is
    /// undamped here (δ = 0) so that it is the exact refit.
    func removeNeuron(_ j: Int, from network: GraphNetwork, _ compensation: Compensation) throws -> [Float] {
        let group = try DependencyGraph(network.specification).prunableGroups[0]
        #expect(group.width == 5)
        let repair = compensation == .none ? nil : GroupCompensation(compensation, images: data, damping: 0)
        try GroupPruner.remove([[j]], from: [group], in: network, repair: repair)
        return logits(network)
    }

    func worst(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max()! }

    /// The hidden layer's weight (5 x 16) and bias.
    func hidden(_ network: GraphNetwork) -> [Parameter] { network.nodes[nodeIndex(network, "classifier.0")].layer!.parameters }

    @Test("a redundant unit (a duplicate of another) is removed exactly with either compensation, and not without",
          arguments: [Compensation.obs, .leastSquares])
    func redundantUnit(compensation: Compensation) throws {
        let net = try network()
        let (weight, bias) = (hidden(net)[0], hidden(net)[1])
        for q in 0..<16 { weight.value.values[3 * 16 + q] = weight.value.values[1 * 16 + q] }
        bias.value.values[3] = bias.value.values[1]
        let before = logits(net)
        let plain = try removeNeuron(3, from: net.copy(), .none)
        let repaired = try removeNeuron(3, from: net, compensation)
        // Float logits of a refit solved in Double: 1e-4; the unit's share of the logits is far above 1e-2.
        #expect(worst(repaired, before) < 1e-4 && worst(plain, before) > 1e-2,
                "repaired \(worst(repaired, before)), plain \(worst(plain, before))")
    }

    @Test("a unit with a constant output is folded into the next bias by least squares")
    func constantUnitFolds() throws {
        let net = try network()
        for q in 0..<16 { hidden(net)[0].value.values[2 * 16 + q] = 0 }
        hidden(net)[1].value.values[2] = 0.7
        let before = logits(net)
        let repaired = try removeNeuron(2, from: net, .leastSquares)
        #expect(worst(repaired, before) < 1e-4, "\(worst(repaired, before))")
    }

    @Test("least squares leaves the logits closer to the original than OBS (weights only) and than removal alone")
    func closerThanRemoval() throws {
        let net = try network()
        let before = logits(net)
        func error(_ values: [Float]) -> Double { zip(values, before).reduce(0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } }
        let plain = error(try removeNeuron(0, from: net.copy(), .none))
        let obs = error(try removeNeuron(0, from: net.copy(), .obs))
        let refit = error(try removeNeuron(0, from: net, .leastSquares))
        // Least squares minimises exactly this error over weights and bias; Float logits: 1e-4 relative.
        #expect(refit <= obs * (1 + 1e-4) + 1e-9 && refit < plain, "plain \(plain), obs \(obs), least squares \(refit)")
    }
}
