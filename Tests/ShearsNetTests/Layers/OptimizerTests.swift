import Foundation
import Testing
@testable import ShearsNet

@Suite("Adam, schedules and metrics")
struct OptimizerTests {
    @Test("Adam's first step moves each weight by lr against the gradient's sign; masks hold")
    func adamFirstStep() {
        let p = Parameter(name: "weight", value: Tensor(shape: [3], values: [1, 1, 1]), decays: true)
        p.gradient = Tensor(shape: [3], values: [0.5, -2, 3])
        p.mask = [1, 1, 0]
        Adam(learningRate: 0.01).step([p])
        // m̂ = g, v̂ = g²: the step is lr·g/(|g| + ε) ≈ lr·sign(g).
        #expect(abs(p.value.values[0] - 0.99) < 1e-6 && abs(p.value.values[1] - 1.01) < 1e-6)
        #expect(p.value.values[2] == 0)
    }

    @Test("Adam minimises a quadratic")
    func adamConverges() {
        let p = Parameter(name: "weight", value: Tensor(shape: [2], values: [3, -4]), decays: false)
        let adam = Adam(learningRate: 0.1)
        for _ in 0..<500 {
            p.gradient = Tensor(shape: [2], values: p.value.values.map { 2 * $0 })
            adam.step([p])
        }
        #expect(p.value.values.allSatisfy { abs($0) < 0.05 })
    }

    @Test("step and cosine schedules")
    func schedules() {
        #expect(LearningRateSchedule.step(every: 2, factor: 0.1).rate(base: 1, epoch: 3, epochs: 10) == 0.1)
        #expect(abs(LearningRateSchedule.cosine.rate(base: 1, epoch: 5, epochs: 10) - 0.5) < 1e-12)
        #expect(LearningRateSchedule.cosine.rate(base: 1, epoch: 0, epochs: 10) == 1)
        #expect(LearningRateSchedule.constant.rate(base: 0.3, epoch: 7, epochs: 10) == 0.3)
    }

    @Test("top-k counts a label among the k largest logits")
    func topK() {
        let logits = Tensor(shape: [2, 4], values: [0.1, 0.9, 0.5, 0.2, 3, 2, 1, 0])
        #expect(Metrics.topKCorrect(logits: logits, labels: [2, 2], k: 1) == 0)
        #expect(Metrics.topKCorrect(logits: logits, labels: [2, 2], k: 2) == 1)
        #expect(Metrics.topKCorrect(logits: logits, labels: [2, 2], k: 3) == 2)
    }
}
