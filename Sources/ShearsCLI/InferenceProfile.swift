import ShearsNet

/// Where a model's inference time goes: each node's forward pass on one batch, so that a
/// pruned model's time can be compared with its unpruned parent's node by node (does a
/// node's time fall with its FLOPs, or does memory-bound work stay?).
enum InferenceProfile {
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
