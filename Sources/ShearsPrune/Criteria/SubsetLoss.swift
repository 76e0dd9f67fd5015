import ShearsNet

/// Mean cross-entropy and accumulated gradients over a scoring subset, in evaluation mode.
enum SubsetLoss {
    /// Mean loss of the model over all of `data`.
    static func meanLoss(_ model: some Layer, data: ImageBatchSource, batchSize: Int) -> Double {
        var total = 0.0
        var start = 0
        while start < data.count {
            let end = min(data.count, start + batchSize)
            let (images, labels) = data.batch(Array(start..<end)[...])
            total += Double(CrossEntropy(logits: model.forward(images, training: false), labels: labels).loss) * Double(end - start)
            start = end
        }
        return total / Double(max(1, data.count))
    }

    /// Leaves in every parameter's `gradient` ∂L/∂w of the mean loss over all of `data`
    /// (each batch's gradient weighted by its share of the subset), for any checkpointed network.
    static func accumulateGradients(_ model: some CheckpointedNetwork, data: ImageBatchSource, batchSize: Int) {
        model.zeroGradients()
        var start = 0
        while start < data.count {
            let end = min(data.count, start + batchSize)
            let (images, labels) = data.batch(Array(start..<end)[...])
            var gradient = CrossEntropy(logits: model.forward(images, training: false), labels: labels).gradient
            let share = Float(end - start) / Float(data.count)
            for i in gradient.values.indices { gradient.values[i] *= share }
            _ = model.backward(gradient)
            start = end
        }
    }
}
