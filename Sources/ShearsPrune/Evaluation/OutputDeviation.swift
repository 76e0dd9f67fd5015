import Foundation
import ShearsNet

/// A model's accuracy, loss and softmax outputs on a data set, in one pass.
public struct ModelOutputs: Sendable {
    /// Accuracy, top-5 accuracy and mean cross-entropy (nats) over the images.
    public let evaluation: Evaluation
    /// Log-softmax of the logits in Double, `images x classes`, row-major (computed from the
    /// logits, not from probabilities, so tiny deviations do not cancel away).
    public let logProbabilities: [Double]
    /// Logits per image: the row length of `logProbabilities`.
    public let classes: Int

    /// Runs `model` over all of `data` in evaluation mode, `batchSize` images at a time, keeping every image's
    /// log-softmax.
    public init(_ model: some Layer, on data: ImageBatchSource, batchSize: Int = 256) {
        var logProbabilities: [Double] = []
        var classes = 0
        evaluation = Trainer.evaluate(model, on: data, batchSize: batchSize) { logits in
            classes = logits.shape[1]
            for row in 0..<logits.shape[0] {
                let z = logits.values[(row * classes)..<((row + 1) * classes)].map(Double.init)
                let top = z.max()!
                let logSum = top + log(z.reduce(0) { $0 + exp($1 - top) })
                logProbabilities += z.map { $0 - logSum }
            }
        }
        self.logProbabilities = logProbabilities
        self.classes = classes
    }

    /// How far these outputs are from `reference`'s on the same images (the founding text's
    /// objective E): mean KL(p_ref ‖ p) over images, and the share whose top-1 classes agree.
    public func deviation(from reference: ModelOutputs) -> (klDivergence: Double, top1Agreement: Double) {
        precondition(reference.logProbabilities.count == logProbabilities.count && reference.classes == classes,
                     "ModelOutputs.deviation: different images or classes")
        let images = logProbabilities.count / max(1, classes)
        var (kl, agree) = (0.0, 0)
        for n in 0..<images {
            let p = reference.logProbabilities[(n * classes)..<((n + 1) * classes)]
            let q = logProbabilities[(n * classes)..<((n + 1) * classes)]
            for (a, b) in zip(p, q) { kl += exp(a) * (a - b) }
            if p.indices.max(by: { p[$0] < p[$1] })! - p.startIndex == q.indices.max(by: { q[$0] < q[$1] })! - q.startIndex {
                agree += 1
            }
        }
        return (kl / Double(max(1, images)), Double(agree) / Double(max(1, images)))
    }
}

/// Measured inference time per image: the structurally pruned model should really be faster.
public enum Latency {
    /// Milliseconds per image at batch 1 (over `singles` images) and at batch 256 (the
    /// fastest of three passes, after a warm-up pass).
    public static func measure(_ model: some Layer, data: ImageBatchSource, singles: Int) -> (batch1: Double, batch256: Double) {
        let batch = data.batch(Array(0..<min(256, data.count))[...]).images
        _ = model.predict(batch)
        var best = Double.infinity
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = model.predict(batch)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 / Double(batch.shape[0]))
        }
        let count = min(singles, data.count)
        let images = (0..<count).map { data.batch([$0]).images }
        let start = DispatchTime.now().uptimeNanoseconds
        for image in images { _ = model.predict(image) }
        let single = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 / Double(max(1, count))
        return (single, best)
    }
}
