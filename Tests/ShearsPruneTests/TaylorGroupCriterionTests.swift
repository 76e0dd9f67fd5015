import Testing
import ShearsNet
@testable import ShearsPrune

@Suite("Taylor on dependency groups")
struct TaylorGroupCriterionTests {
    let specification = ResNet.specification(inputShape: [1, 8, 8], widths: [4, 6], blocksPerStage: 1, classes: 3)
    let data = Dataset.synthetic(count: 6, height: 8, width: 8, classCount: 3, seed: 1)

    @Test("eq. 8 per example: the batch computation equals running each example alone, summed over producers")
    func bruteForcePerExample() throws {
        let network = try GraphNetwork(specification, seed: 2)
        randomizeNormalization(network, seed: 3)
        let groups = try DependencyGraph(specification).prunableGroups
        let scores = try TaylorGroupCriterion(batchSize: 4).scores(network, groups: groups, calibration: data)
        var expected = groups.map { [Double](repeating: 0, count: $0.width) }
        network.isRecording = true
        for example in 0..<data.count {
            let (image, label) = data.batch([example])
            _ = network.backward(CrossEntropy(logits: network.forward(image, training: false), labels: label).gradient)
            for (index, group) in groups.enumerated() {
                for channel in 0..<group.width {
                    var product = 0.0, positions = 0
                    for producer in group.producers {
                        let (z, g) = (network.recordedOutputs[producer], network.recordedGradients[producer])
                        positions = z.count / group.width
                        for m in (channel * positions)..<((channel + 1) * positions) { product += Double(z.values[m] * g.values[m]) }
                    }
                    expected[index][channel] += abs(product / Double(positions)) / Double(data.count)
                }
            }
        }
        #expect(groups.contains { $0.producers.count > 1 })
        for (computed, byHand) in zip(scores.joined(), expected.joined()) {
            #expect(abs(computed - byHand) <= 1e-4 * max(1e-3, byHand), "\(computed) vs \(byHand)")
        }
    }

    @Test("first order: scaling a group's channel by (1 − ε) at every producer changes the loss by −ε Σ z·∂L/∂z")
    func firstOrder() throws {
        let network = try GraphNetwork(specification, seed: 4)
        randomizeNormalization(network, seed: 5)
        let stage = try #require(try DependencyGraph(specification).prunableGroups.first { $0.producers.count > 1 })
        let (images, labels) = data.batch(Array(0..<data.count)[...])
        func loss() -> Double { Double(CrossEntropy(logits: network.forward(images, training: false), labels: labels).loss) }
        network.isRecording = true
        _ = network.backward(CrossEntropy(logits: network.forward(images, training: false), labels: labels).gradient)
        let epsilon = 1e-2
        for channel in 0..<stage.width {
            var predicted = 0.0
            for producer in stage.producers {
                let (z, g) = (network.recordedOutputs[producer], network.recordedGradients[producer])
                let positions = z.count / (data.count * stage.width)
                for n in 0..<data.count {
                    let base = (n * stage.width + channel) * positions
                    for m in base..<(base + positions) { predicted -= epsilon * Double(z.values[m] * g.values[m]) }
                }
            }
            let before = loss()
            // The producers are bias-free convs: scaling a filter's weights scales its output.
            var saved: [[Float]] = []
            for producer in stage.producers {
                let weight = network.nodes[producer].layer!.parameters[0]
                saved.append(weight.value.values)
                let row = weight.value.itemSize
                for i in (channel * row)..<((channel + 1) * row) { weight.value.values[i] *= Float(1 - epsilon) }
            }
            let change = loss() - before
            for (producer, values) in zip(stage.producers, saved) { network.nodes[producer].layer!.parameters[0].value.values = values }
            #expect(abs(change - predicted) <= 0.05 * abs(predicted) + 1e-6, "channel \(channel): \(change) vs \(predicted)")
        }
    }
}
