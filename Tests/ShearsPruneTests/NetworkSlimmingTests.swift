import Testing
import ShearsNet
@testable import ShearsPrune

@Suite("Network slimming")
struct NetworkSlimmingTests {
    @Test("the proximal step soft-thresholds every γ by ηλ, by hand")
    func softThreshold() {
        let norm = BatchNorm2D(channels: 4)
        norm.weight.value.values = [0.5, -0.5, 0.01, -0.02]
        NetworkSlimming(strength: 0.3).proximalStep([norm], learningRate: 0.1)
        #expect(norm.weight.value.values == [0.47, -0.47, 0, 0])
        #expect(norm.bias.value.values == [0, 0, 0, 0])
    }

    @Test("training with the penalty drives scales to exactly zero, and bn-scale removes those channels first")
    func trainingSparsifies() throws {
        let specification = ResNet.specification(inputShape: [1, 8, 8], widths: [4, 8], blocksPerStage: 1, classes: 4)
        let network = try GraphNetwork(specification, seed: 1)
        let norms = network.nodes.compactMap { $0.layer as? BatchNorm2D }
        let optimizer = SGD(learningRate: 0.05, momentum: 0.9)
        let penalty = NetworkSlimming(strength: 2)
        let data = Dataset.synthetic(count: 128, height: 8, width: 8, classCount: 4, seed: 2)
        for epoch in 0..<3 {
            _ = try Trainer(batchSize: 16, seed: 3).trainEpoch(network, optimizer: optimizer, data: data, epoch: epoch, epochs: 3) { _ in
                penalty.proximalStep(norms, learningRate: 0.05)
            }
        }
        let zeros = norms.reduce(0) { $0 + $1.weight.value.values.filter { $0 == 0 }.count }
        #expect(zeros > 0, "no scale reached zero")
        let groups = try DependencyGraph(network.specification).prunableGroups
        let scores = try BatchNormScaleCriterion().scores(network, groups: groups, calibration: nil)
        #expect(scores.joined().contains(0))
    }
}
