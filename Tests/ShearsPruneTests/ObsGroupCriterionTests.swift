import Linalg
import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("OBS and compensation on dependency groups")
struct ObsGroupCriterionTests {
    let data = Dataset.synthetic(count: 12, height: 6, width: 6, classCount: 3, seed: 4)

    func residual(seed: UInt64) throws -> (GraphNetwork, [ChannelGroup]) {
        let specification = residualTestGraph(rectifyFlattened: true)
        let network = try GraphNetwork(specification, seed: seed)
        randomizeNormalization(network, seed: seed + 1)
        return (network, try DependencyGraph(specification).prunableGroups)
    }

    /// `(1/N) Σ ‖(W' − W) x‖²` over a consumer's samples (output positions of each image),
    /// measured by running the layer before and after its repair on its recorded input.
    func reconstructionError(_ before: Layer, _ after: Layer, input: Tensor) -> Double {
        let (old, new) = (before.forward(input, training: false), after.forward(input, training: false))
        let samples = old.shape[0] * old.shape.dropFirst(2).reduce(1, *)
        return zip(old.values, new.values).reduce(0.0) { $0 + Double($1.1 - $1.0) * Double($1.1 - $1.0) } / Double(samples)
    }

    @Test("a channel's saliency is what OBS's update leaves of every consumer's error: measured error + ½ λ ‖δW‖²")
    func saliencyIsTheUpdatesError() throws {
        let (network, groups) = try residual(seed: 3)
        let criterion = ObsGroupCriterion(update: true, batchSize: 5)
        let scores = try criterion.scores(network, groups: groups, calibration: data)
        let (images, _) = data.batch(Array(0..<data.count)[...])
        network.isRecording = true
        _ = network.forward(images, training: false)
        let recorded = network.recordedOutputs
        network.isRecording = false
        #expect(groups[0].consumers.count == 2, "the residual group feeds block.conv1 and, flattened, the hidden layer")
        var checked = 0
        for (index, group) in groups.enumerated() {
            let consumers = Array(Set(group.consumers.map(\.node))).sorted()
            let statistics = try ConsumerHessians.collect(network, consumers: consumers, data: data, batchSize: 12)
            for channel in 0..<group.width {
                let copy = network.copy()
                try GroupCompensation(.obs, images: data, batchSize: 5)
                    .apply(removing: [[channel]], of: [try DependencyGraph(copy.specification).prunableGroups[index]], in: copy)
                var predicted = 0.0
                for node in consumers {
                    let (old, new) = (network.nodes[node].layer!, copy.nodes[node].layer!)
                    let source = network.nodes[node].inputs[0]
                    let measured = reconstructionError(old, new, input: source < 0 ? images : recorded[source])
                    let lambda = try OptimalBrainSurgeon(hessian: statistics[node]!.hessian).damping
                    let (w, w2) = (old.parameters[0].value.values, new.parameters[0].value.values)
                    let shift = zip(w, w2).reduce(0.0) { $0 + Double($1.1 - $1.0) * Double($1.1 - $1.0) }
                    predicted += measured + lambda * shift / 2
                    // The channel's columns are exactly zero afterwards.
                    let columns = try ConsumerHessians.columns(of: [channel], group.consumers.filter { $0.node == node }, in: network)
                    let width = old.parameters[0].value.itemSize
                    #expect((0..<old.parameters[0].value.shape[0]).allSatisfy { r in columns.allSatisfy { w2[r * width + $0] == 0 } })
                }
                // Float outputs differenced and squared: about 1e-5 relative.
                #expect(abs(predicted - scores[index][channel]) <= 1e-3 * scores[index][channel] + 1e-9,
                        "group \(index) channel \(channel): \(scores[index][channel]) vs \(predicted)")
                checked += scores[index][channel] > 1e-6 ? 1 : 0
            }
        }
        #expect(checked >= 10, "only \(checked) channels have a positive saliency: a weak test")
    }

    @Test("least squares refits a linear consumer's weights and bias as an independent least-squares solve does")
    func leastSquaresMatchesSolver() throws {
        let (network, groups) = try residual(seed: 5)
        let many = Dataset.synthetic(count: 40, height: 6, width: 6, classCount: 3, seed: 9)
        let hidden = try #require(groups.firstIndex { $0.producers.map { network.nodes[$0].name } == ["hidden"] })
        let out = network.nodes.firstIndex { $0.name == "out" }!
        // Positive biases keep the hidden units active on most images.
        let producer = network.nodes[groups[hidden].producers[0]].layer as! Linear
        producer.bias.value.values = producer.bias.value.values.map { abs($0) + 3 }
        let (images, _) = many.batch(Array(0..<many.count)[...])
        network.isRecording = true
        _ = network.forward(images, training: false)
        let x = network.recordedOutputs[network.nodes[out].inputs[0]]
        network.isRecording = false
        let layer = network.nodes[out].layer as! Linear
        let (inputs, outputs) = (layer.inFeatures, layer.outFeatures)
        let removed = [1, 3]
        #expect((0..<inputs).allSatisfy { q in (0..<many.count).contains { x.values[$0 * inputs + q] != 0 } })
        let kept = (0..<inputs).filter { !removed.contains($0) }
        // min ‖[X_kept 1] θ − (X Wᵀ + 1 bᵀ)‖ over the 40 images, one column of θ per output.
        var a = Matrix<Double>(rows: many.count, cols: kept.count + 1), b = Matrix<Double>(rows: many.count, cols: outputs)
        for n in 0..<many.count {
            for (j, q) in kept.enumerated() { a[n, j] = Double(x.values[n * inputs + q]) }
            a[n, kept.count] = 1
            for o in 0..<outputs {
                b[n, o] = Double(layer.bias.value.values[o])
                    + (0..<inputs).reduce(0.0) { $0 + Double(layer.weight.value.values[o * inputs + $1]) * Double(x.values[n * inputs + $1]) }
            }
        }
        let theta = try LeastSquares.solve(a, b)
        try GroupCompensation(.leastSquares, images: many, batchSize: 16).apply(removing: [removed], of: [groups[hidden]], in: network)
        for o in 0..<outputs {
            for (j, q) in kept.enumerated() {
                #expect(abs(Double(layer.weight.value.values[o * inputs + q]) - theta[j, o]) <= 1e-4 * (1 + abs(theta[j, o])))
            }
            for q in removed { #expect(layer.weight.value.values[o * inputs + q] == 0) }
            #expect(abs(Double(layer.bias.value.values[o]) - theta[kept.count, o]) <= 1e-4 * (1 + abs(theta[kept.count, o])))
        }
    }

    @Test("pruning with obs applies the update, so removed channels leave no folded offset; obs-no-update folds them")
    func updateLeavesNoOffsets() throws {
        for update in [true, false] {
            let (network, _) = try residual(seed: 7)
            let criterion = try #require(GroupCriteria.named(update ? "obs" : "obs-no-update", seed: 0))
            #expect(criterion.definingCompensation == (update ? .obs : .none))
            let changes = try GroupPruner.prune(network, criterion: criterion, ratio: 0.5, calibration: data)
            #expect(changes.contains { $0.after < $0.before })
            let offsets = network.nodes.compactMap { ($0.layer as? Conv2D)?.outputOffset }
            // ReLU(BN(0)) of the residual group is not zero: without the update it reaches block.conv1.
            #expect(offsets.isEmpty == update, "update \(update): \(offsets.count) offsets")
        }
    }

    @Test("obs and obs-no-update are registered, read calibration images and refuse to score or repair without them")
    func registration() throws {
        let (network, groups) = try residual(seed: 2)
        for name in ["obs", "obs-no-update"] {
            let criterion = try #require(GroupCriteria.named(name, seed: 0))
            #expect(GroupCriteria.names.contains(name) && criterion.name == name && criterion.input == .calibrationImages)
            #expect(throws: PruningError.needsCalibration(criterion: name)) {
                try criterion.scores(network, groups: groups, calibration: nil)
            }
        }
        #expect(throws: PruningError.needsCalibration(criterion: "compensation least-squares")) {
            try GroupPruner.prune(network, criterion: GroupNormCriterion(p: 1), ratio: 0.5, compensation: .leastSquares)
        }
    }
}
