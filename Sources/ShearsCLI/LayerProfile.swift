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
    /// Median per-layer times over `steps` training steps on random input of batch `batch`,
    /// the convs computed by `algorithm`.
    static func measure(_ configuration: VGGConfiguration, algorithm: ConvolutionAlgorithm, batch: Int,
                        steps: Int) -> [LayerTiming] {
        let model = VGG(configuration, seed: 1)
        setConvolutionAlgorithm(algorithm, in: model)
        var rng = SeededGenerator(seed: 2)
        let shape = [batch, configuration.inputChannels, configuration.inputSize, configuration.inputSize]
        let x = Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in rng.nextGaussian() })
        let labels = (0..<batch).map { $0 % configuration.classes }
        let layers = namedLayers(model)
        var forward = Array(repeating: [(wall: Double, cpu: Double)](), count: layers.count)
        var backward = forward
        for _ in 0..<(steps + 1) {
            model.zeroGradients()
            var activation = x
            for (index, (_, layer)) in layers.enumerated() {
                let input = activation
                forward[index].append(Stopwatch.wallAndCPUSeconds { activation = layer.forward(input, training: true) })
            }
            var gradient = CrossEntropy(logits: activation, labels: labels).gradient
            for (index, (_, layer)) in layers.enumerated().reversed() {
                let upstream = gradient
                backward[index].append(Stopwatch.wallAndCPUSeconds { gradient = layer.backward(upstream) })
            }
        }
        var size = configuration.inputSize
        return layers.enumerated().map { index, entry in
            var macs = 0
            if let conv = entry.1 as? Conv2D {
                macs = batch * conv.weight.value.count * size * size
            } else if let pool = entry.1 as? MaxPool2D {
                size = (size - pool.size) / pool.stride + 1
            } else if let linear = entry.1 as? Linear {
                macs = batch * linear.weight.value.count
            }
            // The first repetition is a warm-up.
            func milliseconds(_ times: [(wall: Double, cpu: Double)], _ part: KeyPath<(wall: Double, cpu: Double), Double>) -> Double {
                1e3 * Stopwatch.median(of: times.dropFirst().map { $0[keyPath: part] })
            }
            return LayerTiming(layer: entry.0, forwardMilliseconds: milliseconds(forward[index], \.wall),
                               backwardMilliseconds: milliseconds(backward[index], \.wall),
                               forwardCPUMilliseconds: milliseconds(forward[index], \.cpu),
                               backwardCPUMilliseconds: milliseconds(backward[index], \.cpu), macs: macs)
        }
    }
}
