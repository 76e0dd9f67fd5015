import Foundation
import ShearsNet

/// Time spent in each layer's forward and backward pass during one training step.
struct LayerTiming: Codable {
    var layer: String
    var forwardMilliseconds: Double
    var backwardMilliseconds: Double
    /// Median process CPU time (all threads) of the forward and backward passes.
    var forwardCPUMilliseconds: Double
    var backwardCPUMilliseconds: Double
    /// Forward MACs of this layer for the batch (0 for layers without weights).
    var macs: Int
}

enum LayerProfile {
    /// Median per-node times over `steps` training steps on random input of batch `batch`, the
    /// convs computed by `algorithm`: every node of any graph (a VGG preset's or resnet-s's),
    /// timed through `GraphNetwork.nodeObserver` inside the network's own forward and backward.
    static func measure(_ specification: GraphSpecification, algorithm: ConvolutionAlgorithm, batch: Int,
                        steps: Int) throws -> [LayerTiming] {
        let model = try GraphNetwork(specification, seed: 1)
        setConvolutionAlgorithm(algorithm, in: model)
        var rng = SeededGenerator(seed: 2)
        let shape = [batch] + specification.inputShape
        let x = Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in rng.nextGaussian() })
        let labels = (0..<batch).map { $0 % specification.classes }
        var forward = Array(repeating: [(wall: Double, cpu: Double)](), count: model.nodes.count)
        var backward = forward
        model.nodeObserver = { node, isBackward, work in
            let time = Stopwatch.wallAndCPUSeconds(work)
            if isBackward { backward[node].append(time) } else { forward[node].append(time) }
        }
        defer { model.nodeObserver = nil }
        for _ in 0..<(steps + 1) {
            model.zeroGradients()
            let logits = model.forward(x, training: true)
            _ = model.backward(CrossEntropy(logits: logits, labels: labels).gradient)
        }
        // The first repetition is a warm-up; a node without a backward pass (none reads the loss through it) shows 0.
        func milliseconds(_ times: [(wall: Double, cpu: Double)], _ part: KeyPath<(wall: Double, cpu: Double), Double>) -> Double {
            times.count > 1 ? 1e3 * Stopwatch.median(of: times.dropFirst().map { $0[keyPath: part] }) : 0
        }
        return try zip(model.nodes.indices, specification.macsPerNode()).map { index, macs in
            LayerTiming(layer: model.nodes[index].name, forwardMilliseconds: milliseconds(forward[index], \.wall),
                        backwardMilliseconds: milliseconds(backward[index], \.wall),
                        forwardCPUMilliseconds: milliseconds(forward[index], \.cpu),
                        backwardCPUMilliseconds: milliseconds(backward[index], \.cpu), macs: batch * macs)
        }
    }
}
