import Foundation

/// Mean softmax cross-entropy over a batch, computed stably with the log-sum-exp shift.
///
/// `loss = (1/N) Σₙ [log Σⱼ exp(zₙⱼ − mₙ) − (zₙ,yₙ − mₙ)]`, `mₙ = maxⱼ zₙⱼ`;
/// `∂loss/∂zₙⱼ = (softmax(zₙ)ⱼ − [j = yₙ]) / N`.
public struct CrossEntropy {
    /// Mean cross-entropy over the batch, in nats.
    public let loss: Float
    /// ∂loss/∂logits, `N x classes`.
    public let gradient: Tensor
    /// How many rows had their label as the arg-max.
    public let correct: Int

    /// Loss, gradient and correct count for `N x classes` logits and `N` labels in `0..<classes`.
    public init(logits: Tensor, labels: [Int]) {
        precondition(logits.shape.count == 2 && logits.shape[0] == labels.count,
                     "CrossEntropy: logits \(logits.shape) for \(labels.count) labels")
        let (n, classes) = (logits.shape[0], logits.shape[1])
        var gradient = Tensor(shape: logits.shape)
        var total: Double = 0
        var correct = 0
        logits.values.withUnsafeBufferPointer { z in
            gradient.values.withUnsafeMutableBufferPointer { g in
                for row in 0..<n {
                    let label = labels[row]
                    precondition(label >= 0 && label < classes, "CrossEntropy: label \(label) outside 0..<\(classes)")
                    let zRow = z.baseAddress! + row * classes, gRow = g.baseAddress! + row * classes
                    var maxIndex = 0
                    for j in 1..<classes where zRow[j] > zRow[maxIndex] { maxIndex = j }
                    let m = zRow[maxIndex]
                    var sum: Float = 0
                    for j in 0..<classes { gRow[j] = exp(zRow[j] - m); sum += gRow[j] }
                    total += Double(log(sum) - (zRow[label] - m))
                    for j in 0..<classes { gRow[j] = gRow[j] / sum / Float(n) }
                    gRow[label] -= 1 / Float(n)
                    if maxIndex == label { correct += 1 }
                }
            }
        }
        loss = Float(total / Double(n))
        self.gradient = gradient
        self.correct = correct
    }
}
