import ShearsNet

/// Passes over a scoring subset in evaluation mode with activation recording on: the loop
/// every data-driven criterion shares. `body` sees each batch's images after the forward
/// pass (and, with `backward`, after the backward pass of the batch-mean cross-entropy), while
/// `model.features` and `model.classifier` hold the recorded tensors.
enum RecordedPasses {
    static func run(_ model: VGG, data: ImageBatchSource, batchSize: Int, backward: Bool,
                    _ body: (_ images: Tensor, _ batchCount: Int) throws -> Void) rethrows {
        model.features.isRecording = true
        model.classifier.isRecording = true
        defer {
            model.features.isRecording = false
            model.classifier.isRecording = false
            if backward { model.zeroGradients() }
        }
        var start = 0
        while start < data.count {
            let end = min(data.count, start + batchSize)
            let (images, labels) = data.batch(Array(start..<end)[...])
            let logits = model.forward(images, training: false)
            if backward { _ = model.backward(CrossEntropy(logits: logits, labels: labels).gradient) }
            try body(images, end - start)
            start = end
        }
    }
}
