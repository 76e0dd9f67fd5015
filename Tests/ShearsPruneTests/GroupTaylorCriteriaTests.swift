import ShearsNet
import Testing
@testable import ShearsPrune

/// `taylor-batch`, `taylor-sq`, `taylor-weight` and `activation-std` on the groups of a
/// VGG-shaped graph (two convs and a hidden layer, with and without BatchNorm), each against
/// its definition computed by running the network: one example at a time, or as finite
/// differences of the loss in a gate on the group.
@Suite("Taylor group criteria and activation-std by brute force on a VGG-shaped graph")
struct GroupTaylorCriteriaTests {
    let data = Dataset.synthetic(count: 12, height: 8, width: 8, classCount: 3, seed: 1)

    /// The ReLU after each group's producer, in group order.
    func rectifiers(batchNorm: Bool) -> [String] {
        batchNorm ? ["features.2", "features.6", "classifier.1"] : ["features.1", "features.4", "classifier.1"]
    }

    /// Runs `body` with row `channel` of every producer of `group` (weight row, and bias when
    /// `withBias`) scaled by `factor`, then restores them.
    func scaled<T>(_ network: GraphNetwork, _ group: ChannelGroup, channel: Int, by factor: Float, withBias: Bool,
                   _ body: () -> T) -> T {
        let parameters = group.producers.map { network.nodes[$0].layer!.parameters }
        let saved = parameters.map { $0.map(\.value) }
        defer { for (list, values) in zip(parameters, saved) { for (p, v) in zip(list, values) { p.value = v } } }
        for list in parameters {
            let row = list[0].value.itemSize
            for i in (channel * row)..<((channel + 1) * row) { list[0].value.values[i] *= factor }
            if withBias, list.count > 1 { list[1].value.values[channel] *= factor }
        }
        return body()
    }

    @Test("taylor-batch is |mean over examples and positions of a·∂ℓ_n/∂a| at the group's ReLU, each example run alone; activation-std is that ReLU output's standard deviation",
          arguments: [false, true])
    func taylorBatchAndDeviation(batchNorm: Bool) throws {
        let network = try smallVGGGraph(batchNorm: batchNorm)
        let groups = try DependencyGraph(network.specification).prunableGroups
        #expect(groups.map(\.width) == [4, 6, 5])
        let relus = rectifiers(batchNorm: batchNorm).map { nodeIndex(network, $0) }
        #expect(groups.map { $0.rectifiers.map(\.node) } == relus.map { [$0] })
        // Batches of 5 over 12 images: the last one is short.
        let batch = try TaylorBatchGroupCriterion(batchSize: 5).scores(network, groups: groups, calibration: data)
        let deviation = try ActivationGroupCriterion(.standardDeviation, batchSize: 5).scores(network, groups: groups,
                                                                                           calibration: data)
        let perExample = try TaylorGroupCriterion(batchSize: 5).scores(network, groups: groups, calibration: data)
        // Per group and channel over all examples and positions: Σ a·g_n, Σ |a·g_n|, Σ a, Σ a².
        var products = groups.map { [Double](repeating: 0, count: $0.width) }
        var (magnitudes, sums, squares) = (products, products, products)
        var positions = groups.map { _ in 0 }
        network.isRecording = true
        for n in 0..<data.count {
            let (image, label) = data.batch([n])
            _ = network.backward(CrossEntropy(logits: network.forward(image, training: false), labels: label).gradient)
            for (index, (group, relu)) in zip(groups, relus).enumerated() {
                let (a, g) = (network.recordedOutputs[relu], network.recordedGradients[relu])
                positions[index] = a.count / group.width
                for channel in 0..<group.width {
                    for m in (channel * positions[index])..<((channel + 1) * positions[index]) {
                        let value = Double(a.values[m]), product = Double(a.values[m]) * Double(g.values[m])
                        products[index][channel] += product
                        magnitudes[index][channel] += abs(product)
                        sums[index][channel] += value
                        squares[index][channel] += value * value
                    }
                }
            }
        }
        network.isRecording = false
        network.zeroGradients()
        #expect(positions == [64, 16, 1])
        var scored = 0
        for (index, group) in groups.enumerated() {
            let count = Double(data.count * positions[index])
            for channel in 0..<group.width {
                let expected = abs(products[index][channel] / count)
                // Float gradients (6e-8 relative) summed in other batchings: the error is bounded
                // by the terms' magnitudes, not by their sum, which cancels.
                #expect(abs(batch[index][channel] - expected) <= 1e-5 * magnitudes[index][channel] / count + 1e-12,
                        "taylor-batch group \(index) channel \(channel): \(batch[index][channel]) vs \(expected)")
                let mean = sums[index][channel] / count
                let std = max(0, squares[index][channel] / count - mean * mean).squareRoot()
                // Float activations of batches of 5 and of 1, moments in Double: 1e-6 relative.
                #expect(abs(deviation[index][channel] - std) <= 1e-6 * max(std, 1e-3),
                        "activation-std group \(index) channel \(channel): \(deviation[index][channel]) vs \(std)")
                scored += expected > 1e-6 ? 1 : 0
                // Without BatchNorm the producer's z·∂L/∂z is the ReLU's a·∂L/∂a, so the per-example
                // form (Molchanov et al. 2017, eq. 8) bounds the batch form: |Σ_n x_n| ≤ Σ_n |x_n|.
                if !batchNorm { #expect(perExample[index][channel] + 1e-12 >= batch[index][channel] * (1 - 1e-5)) }
            }
        }
        #expect(scored >= 10, "only \(scored) of 15 channels have a non-zero score: a weak test")
        if !batchNorm {
            // Effects of opposite sign cancel across examples in the batch form, not in eq. 8.
            let cancelled = zip(perExample.joined(), batch.joined()).filter { $0 > 1.5 * $1 + 1e-9 }.count
            #expect(cancelled >= 2, "the two forms agree on all but \(cancelled) channels")
        }
    }

    @Test("taylor-sq (Molchanov et al. 2019, eqs. 7–8) is the squared derivative of each minibatch's loss in a gate on the group's output, averaged over minibatches",
          arguments: [false, true])
    func taylorSquaredIsGateDerivative(batchNorm: Bool) throws {
        let network = try smallVGGGraph(batchNorm: batchNorm)
        let groups = try DependencyGraph(network.specification).prunableGroups
        // Two minibatches of 6: the mean of the squares, not the square of the mean.
        let scores = try WeightTaylorGroupCriterion(.squared, batchSize: 6).scores(network, groups: groups, calibration: data)
        let minibatches = [data.subset(Array(0..<6)), data.subset(Array(6..<12))]
        var (checked, positive) = (0, 0)
        for (index, group) in groups.enumerated() {
            channels: for channel in 0..<group.width {
                // A gate on the channel's output is its producers' weight row and bias scaled together (z = Wx + b).
                var (meanSquare, tolerance) = (0.0, 0.0)
                for minibatch in minibatches {
                    guard case let (derivative, epsilon)? = smoothCentralDifference({ gate in
                        scaled(network, group, channel: channel, by: gate, withBias: true) { lossAndKinks(network, minibatch) }
                    }) else { continue channels }
                    meanSquare += derivative * derivative / Double(minibatches.count)
                    // |√mean d² − √mean d̂²| ≤ max |d − d̂|.
                    tolerance = max(tolerance, centralDifferenceTolerance(derivative, epsilon: epsilon))
                }
                let (computed, measured) = (scores[index][channel].squareRoot(), meanSquare.squareRoot())
                #expect(abs(computed - measured) <= tolerance,
                        "group \(index) channel \(channel): √score \(computed) vs gate derivative \(measured)")
                checked += 1
                positive += measured > 1e-4 ? 1 : 0
            }
        }
        #expect(checked >= 10 && positive >= 8, "\(checked) of 15 channels smooth, \(positive) with a measurable derivative: a weak test")
    }

    @Test("taylor-weight is |Σ w·∂L/∂w| over the producers' weight rows: the first-order loss change of scaling them, measured",
          arguments: [false, true])
    func taylorWeightIsFirstOrderChange(batchNorm: Bool) throws {
        let network = try smallVGGGraph(batchNorm: batchNorm)
        let groups = try DependencyGraph(network.specification).prunableGroups
        let scores = try WeightTaylorGroupCriterion(.weight, batchSize: 5).scores(network, groups: groups, calibration: data)
        var (checked, positive) = (0, 0)
        for (index, group) in groups.enumerated() {
            for channel in 0..<group.width {
                // L((1 + ε)W_c) − L((1 − ε)W_c) = 2ε Σ w·∂L/∂w + O(ε³); no bias: Torch-Pruning's multivariable form.
                guard case let (derivative, epsilon)? = smoothCentralDifference({ factor in
                    scaled(network, group, channel: channel, by: factor, withBias: false) { lossAndKinks(network, data) }
                }) else { continue }
                let measured = abs(derivative)
                #expect(abs(scores[index][channel] - measured) <= centralDifferenceTolerance(measured, epsilon: epsilon),
                        "group \(index) channel \(channel): \(scores[index][channel]) vs \(measured)")
                checked += 1
                positive += measured > 1e-4 ? 1 : 0
            }
        }
        #expect(checked >= 10 && positive >= 8, "\(checked) of 15 channels smooth, \(positive) with a measurable change: a weak test")
    }

    @Test("the group Taylor forms are registered under their CLI names and need calibration images",
          arguments: ["taylor", "taylor-batch", "taylor-sq", "taylor-weight"])
    func registration(name: String) throws {
        #expect(GroupCriteria.names.contains(name))
        #expect(try CriterionName(parsing: name).description == name)
        let criterion = try #require(GroupCriteria.named(name, seed: 0))
        #expect(criterion.name == name && criterion.input == .calibrationImages)
        let network = try smallVGGGraph(batchNorm: false)
        let groups = try DependencyGraph(network.specification).prunableGroups
        #expect(throws: PruningError.needsCalibration(criterion: name)) {
            try criterion.scores(network, groups: groups, calibration: nil)
        }
    }
}
