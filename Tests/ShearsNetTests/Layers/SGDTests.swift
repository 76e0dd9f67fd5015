import Testing
@testable import ShearsNet

@Suite("SGD")
struct SGDTests {
    @Test("one momentum step matches PyTorch's formula by hand; masks keep weights at zero")
    func stepByHand() {
        let p = Parameter(name: "weight", value: Tensor(shape: [3], values: [1, -2, 0.5]), decays: true)
        p.gradient = Tensor(shape: [3], values: [0.1, 0.2, -0.3])
        p.mask = [1, 1, 0]
        let sgd = SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        sgd.step([p])
        // g = ∇ + 0.01·w; v = g; w − 0.1·v.
        #expect(abs(p.value.values[0] - (1 - 0.1 * (0.1 + 0.01))) < 1e-7)
        #expect(abs(p.value.values[1] - (-2 - 0.1 * (0.2 - 0.02))) < 1e-7)
        #expect(p.value.values[2] == 0)
        let w0 = p.value.values[0]
        sgd.step([p])
        // Second step: v = 0.9·v₁ + g₂.
        let v = 0.9 * (0.1 + 0.01) + (0.1 + 0.01 * w0)
        #expect(abs(p.value.values[0] - (w0 - 0.1 * v)) < 1e-6)
        #expect(p.value.values[2] == 0)
    }

    @Test("biases do not decay")
    func biasNoDecay() {
        let b = Parameter(name: "bias", value: Tensor(shape: [1], values: [5]), decays: false)
        b.zeroGradient()
        SGD(learningRate: 0.1, weightDecay: 0.5).step([b])
        #expect(b.value.values == [5])
    }

    @Test("Nesterov momentum steps by lr·(g + μ·v)")
    func nesterov() {
        let p = Parameter(name: "weight", value: Tensor(shape: [1], values: [1]), decays: true)
        p.gradient = Tensor(shape: [1], values: [0.5])
        let sgd = SGD(learningRate: 0.1, momentum: 0.9, nesterov: true)
        sgd.step([p])
        // v₁ = g = 0.5; w = 1 − 0.1·(0.5 + 0.9·0.5).
        #expect(abs(p.value.values[0] - (1 - 0.1 * 0.95)) < 1e-7)
        sgd.step([p])
        // v₂ = 0.9·0.5 + 0.5 = 0.95; w −= 0.1·(0.5 + 0.9·0.95).
        #expect(abs(p.value.values[0] - (1 - 0.1 * 0.95 - 0.1 * (0.5 + 0.855))) < 1e-6)
    }
}
