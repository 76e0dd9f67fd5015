import Foundation

/// What one step of training reports to whoever shows progress.
public struct TrainingProgress: Sendable {
    /// The current epoch, 0-based.
    public let epoch: Int
    /// Epochs in the whole run.
    public let epochs: Int
    /// The step just finished within the epoch, 0-based.
    public let step: Int
    /// Steps (batches) in this epoch.
    public let stepsPerEpoch: Int
    /// Mean loss over the epoch so far.
    public let loss: Double
    /// Training images per second over the epoch so far (a partial last batch counted as full).
    public let imagesPerSecond: Double
    /// Seconds left for the whole run, extrapolated from this run's speed so far.
    public let secondsRemaining: Double
}

/// Loss and accuracy of a model on a data set.
public struct Evaluation: Sendable, Codable, Equatable {
    /// Mean cross-entropy per image, in nats.
    public let loss: Double
    /// Fraction of images (0...1) whose top-1 prediction is the label.
    public let accuracy: Double
    /// Fraction of images (0...1) whose label is among the 5 highest logits.
    public let top5Accuracy: Double
    /// Number of images evaluated.
    public let images: Int

    /// An evaluation from its four measures, as ``Trainer/evaluate(_:on:batchSize:eachBatch:)`` computes them.
    public init(loss: Double, accuracy: Double, top5Accuracy: Double, images: Int) {
        (self.loss, self.accuracy, self.top5Accuracy, self.images) = (loss, accuracy, top5Accuracy, images)
    }
}

/// Why a training run stopped before its last epoch.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// The loss became NaN or infinite: the learning rate is too high or the data is broken.
    case nonFiniteLoss(epoch: Int, step: Int, loss: Float)

    public var description: String {
        switch self {
        case let .nonFiniteLoss(epoch, step, loss):
            return "training diverged: loss is \(loss) at epoch \(epoch + 1), step \(step + 1); lower the learning rate"
        }
    }
}

/// Mini-batch training with a seeded shuffle per epoch.
public struct Trainer {
    /// Images per optimizer step (the last batch of an epoch may be smaller).
    public var batchSize: Int
    /// Seeds the per-epoch shuffle, with the epoch mixed in.
    public var seed: UInt64

    /// A trainer drawing batches of `batchSize` in an order fixed by `seed`.
    public init(batchSize: Int, seed: UInt64) {
        precondition(batchSize >= 1, "Trainer: batch size \(batchSize)")
        self.batchSize = batchSize
        self.seed = seed
    }

    /// The order of `count` examples in `epoch`: a Fisher–Yates shuffle seeded by (seed, epoch).
    public func order(count: Int, epoch: Int) -> [Int] {
        var rng = SeededGenerator(seed: seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15)
        var indices = Array(0..<count)
        indices.shuffle(using: &rng)
        return indices
    }

    /// One epoch of SGD-style training; returns the mean training loss. `afterStep(step)` runs
    /// after every optimizer step (proximal penalties and soft pruning hook in there).
    public func trainEpoch(_ model: some Layer, optimizer: Optimizer, data: ImageBatchSource, epoch: Int, epochs: Int,
                           maxSteps: Int? = nil, progress: (TrainingProgress) -> Void = { _ in },
                           afterStep: (Int) throws -> Void = { _ in }) throws -> Double {
        let order = order(count: data.count, epoch: epoch)
        let steps = min(maxSteps ?? Int.max, (data.count + batchSize - 1) / batchSize)
        let start = Date()
        var lossSum = 0.0
        for step in 0..<steps {
            let slice = order[(step * batchSize)..<min(order.count, (step + 1) * batchSize)]
            let (images, labels) = data.batch(slice)
            let parameters = model.parameters
            for parameter in parameters { parameter.zeroGradient() }
            let result = CrossEntropy(logits: model.forward(images, training: true), labels: labels)
            guard result.loss.isFinite else { throw TrainingError.nonFiniteLoss(epoch: epoch, step: step, loss: result.loss) }
            _ = model.backward(result.gradient)
            optimizer.step(parameters)
            try afterStep(step)
            lossSum += Double(result.loss)
            let elapsed = Date().timeIntervalSince(start)
            let rate = Double((step + 1) * batchSize) / max(elapsed, 1e-9)
            let remainingSteps = Double(steps - step - 1) + Double(epochs - epoch - 1) * Double(steps)
            progress(TrainingProgress(epoch: epoch, epochs: epochs, step: step, stepsPerEpoch: steps,
                                      loss: lossSum / Double(step + 1), imagesPerSecond: rate,
                                      secondsRemaining: remainingSteps * Double(batchSize) / rate))
        }
        return lossSum / Double(max(steps, 1))
    }

    /// Mean loss, top-1 and top-5 accuracy over `data` (in order, evaluation mode);
    /// `eachBatch` sees every batch's logits (for measures beyond accuracy).
    public static func evaluate(_ model: some Layer, on data: ImageBatchSource, batchSize: Int = 256,
                                eachBatch: (Tensor) -> Void = { _ in }) -> Evaluation {
        var lossSum = 0.0, correct = 0, top5 = 0
        var start = 0
        while start < data.count {
            let end = min(data.count, start + batchSize)
            let (images, labels) = data.batch(Array(start..<end)[...])
            let logits = model.predict(images)
            let result = CrossEntropy(logits: logits, labels: labels)
            lossSum += Double(result.loss) * Double(end - start)
            correct += result.correct
            top5 += Metrics.topKCorrect(logits: logits, labels: labels, k: min(5, logits.shape[1]))
            eachBatch(logits)
            start = end
        }
        let n = Double(max(data.count, 1))
        return Evaluation(loss: lossSum / n, accuracy: Double(correct) / n, top5Accuracy: Double(top5) / n,
                          images: data.count)
    }
}
