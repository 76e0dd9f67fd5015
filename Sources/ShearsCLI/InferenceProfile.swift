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
}

/// Every layer of `model` in forward order, named `features.3 ReLU` (its checkpoint prefix
/// and type), as the profiles print them.
func namedLayers(_ model: VGG) -> [(String, Layer)] {
    model.features.layers.enumerated().map { ("features.\($0.offset) \(type(of: $0.element))", $0.element) }
        + [("flatten", model.flatten)]
        + model.classifier.layers.enumerated().map { ("classifier.\($0.offset) \(type(of: $0.element))", $0.element) }
}
