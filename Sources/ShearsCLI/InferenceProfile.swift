import ShearsNet

/// Where a model's inference time goes: each layer's forward pass on one batch, so that a
/// pruned model's time can be compared with its unpruned parent's layer by layer (does a
/// layer's time fall with its FLOPs, or does memory-bound work stay?).
enum InferenceProfile {
    /// Fastest-of-`rounds` milliseconds of every layer's inference forward pass on `batch`.
    static func measure(_ model: VGG, batch: Tensor, rounds: Int) -> [(layer: String, milliseconds: Double)] {
        let layers = namedLayers(model)
        var best = Array(repeating: Double.infinity, count: layers.count)
        // One untimed warm-up round, then the fastest round per layer.
        for round in 0...rounds {
            var activation = batch
            for (index, (_, layer)) in layers.enumerated() {
                let input = activation
                let seconds = Stopwatch.seconds { activation = layer.forward(input, training: false) }
                if round > 0 { best[index] = min(best[index], 1e3 * seconds) }
            }
        }
        return zip(layers, best).map { ($0.0, $1) }
    }

    /// Fastest-of-`rounds` milliseconds of every node's inference forward pass on `batch`, in
    /// node order, labelled `layer1.0.conv1 Conv2D` (`add` and `concat` by their operation).
    static func measure(_ network: GraphNetwork, batch: Tensor, rounds: Int) -> [(layer: String, milliseconds: Double)] {
        var best = Array(repeating: Double.infinity, count: network.nodes.count)
        // One untimed warm-up round, then the fastest round per node.
        for round in 0...rounds {
            var outputs: [Tensor] = []
            for (index, node) in network.nodes.enumerated() {
                let inputs = node.inputs.map { $0 < 0 ? batch : outputs[$0] }
                var output = batch
                let seconds = Stopwatch.seconds { output = GraphNetwork.run(node, inputs, training: false) }
                outputs.append(output)
                if round > 0 { best[index] = min(best[index], 1e3 * seconds) }
            }
        }
        return zip(network.nodes, best).map { node, milliseconds in
            ("\(node.name) \(node.layer.map { "\(type(of: $0))" } ?? "\(node.operation)")", milliseconds)
        }
    }
}

/// Every layer of `model` in forward order, named `features.3 ReLU` (its checkpoint prefix
/// and type), as the profiles print them.
func namedLayers(_ model: VGG) -> [(String, Layer)] {
    model.features.layers.enumerated().map { ("features.\($0.offset) \(type(of: $0.element))", $0.element) }
        + [("flatten", model.flatten)]
        + model.classifier.layers.enumerated().map { ("classifier.\($0.offset) \(type(of: $0.element))", $0.element) }
}
