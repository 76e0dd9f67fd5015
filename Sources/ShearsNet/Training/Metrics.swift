/// Classification metrics over logits `N x classes`.
public enum Metrics {
    /// How many rows have their label among the `k` largest logits (ties count against).
    public static func topKCorrect(logits: Tensor, labels: [Int], k: Int) -> Int {
        precondition(logits.shape.count == 2 && logits.shape[0] == labels.count && k >= 1,
                     "topKCorrect: logits \(logits.shape), \(labels.count) labels, k \(k)")
        let classes = logits.shape[1]
        var correct = 0
        for row in 0..<labels.count {
            let target = logits.values[row * classes + labels[row]]
            var higher = 0
            for j in 0..<classes where logits.values[row * classes + j] > target { higher += 1 }
            if higher < k { correct += 1 }
        }
        return correct
    }
}
