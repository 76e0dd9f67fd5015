import Testing
@testable import ShearsNet

@Suite("Layer gradients against finite differences")
struct LayerGradientTests {
    // Linear in both input and weights: a large step gives a rounding-limited quotient.
    let linearCheck = GradientCheck(step: 0.25, tolerance: 2e-3)

    @Test("Linear: input, weight and bias gradients")
    func linear() {
        var rng = SeededGenerator(seed: 1)
        let layer = Linear(inFeatures: 7, outFeatures: 5, rng: &rng)
        let errors = linearCheck.worstError(layer, input: randomTensor([3, 7], seed: 2), seed: 3)
        #expect(errors.input < linearCheck.tolerance && errors.parameters < linearCheck.tolerance, "\(errors)")
    }

    @Test("Conv2D: gradients for kernel, stride and padding variants",
          arguments: [(3, 1, 1), (3, 2, 0), (2, 2, 1), (5, 1, 2), (1, 1, 0), (3, 3, 2)])
    func conv(kernel: Int, stride: Int, padding: Int) {
        var rng = SeededGenerator(seed: 4)
        let layer = Conv2D(inChannels: 2, outChannels: 3, kernelSize: kernel, stride: stride, padding: padding, rng: &rng)
        let errors = linearCheck.worstError(layer, input: randomTensor([2, 2, 7, 6], seed: 5), seed: 6)
        #expect(errors.input < linearCheck.tolerance && errors.parameters < linearCheck.tolerance, "\(errors)")
    }

    @Test("a masked Conv2D: gradients stay exact, and masked weights take no part in the output")
    func maskedConv() {
        var rng = SeededGenerator(seed: 16)
        let layer = Conv2D(inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1, rng: &rng)
        layer.weight.mask = (0..<layer.weight.value.count).map { Float($0 % 4 == 0 ? 0 : 1) }
        layer.weight.applyMask()
        let x = randomTensor([2, 2, 5, 5], seed: 17)
        let errors = linearCheck.worstError(layer, input: x, seed: 18)
        #expect(errors.input < linearCheck.tolerance && errors.parameters < linearCheck.tolerance, "\(errors)")
        let before = layer.forward(x, training: false)
        layer.weight.value.values[4] = 0
        layer.weight.value.values[8] = 123
        let moved = layer.forward(x, training: false)
        layer.weight.applyMask()
        #expect(layer.weight.value.values[8] == 0 && layer.forward(x, training: false) == before && moved != before)
    }

    @Test("ReLU: gradient passes only where the input is positive")
    func relu() {
        // Inputs at least 0.1 from the kink; a step of 0.01 never crosses it.
        var x = randomTensor([2, 3, 4, 4], seed: 7)
        for i in x.values.indices where abs(x.values[i]) < 0.1 { x.values[i] = x.values[i] < 0 ? -0.1 : 0.1 }
        let errors = GradientCheck(step: 0.01, tolerance: 2e-3).worstError(ReLU(), input: x, seed: 8)
        #expect(errors.input < 2e-3, "\(errors)")
    }

    @Test("MaxPool2D: gradient goes to each window's maximum, odd sizes floor", arguments: [(2, 2), (3, 2), (2, 1)])
    func maxPool(size: Int, stride: Int) {
        // Distinct values spaced 0.05 apart: a step of 0.01 never changes an arg-max.
        var rng = SeededGenerator(seed: 9)
        let x = Tensor(shape: [2, 2, 7, 7], values: (0..<196).map { Float($0) * 0.05 }.shuffled(using: &rng))
        let layer = MaxPool2D(size: size, stride: stride)
        #expect(layer.outputShape(for: x.shape) == [2, 2, (7 - size) / stride + 1, (7 - size) / stride + 1])
        // A side shorter than the window holds no window (not one, as truncating division gives).
        #expect(layer.outputShape(for: [1, 1, size - 1, 7]) == [1, 1, 0, (7 - size) / stride + 1])
        #expect(AvgPool2D(size: size, stride: stride).outputShape(for: [1, 1, 7, size - 1]) == [1, 1, (7 - size) / stride + 1, 0])
        let errors = GradientCheck(step: 0.01, tolerance: 2e-3).worstError(layer, input: x, seed: 10)
        #expect(errors.input < 2e-3, "\(errors)")
    }

    @Test("Flatten is channel-major and its backward restores the shape")
    func flatten() {
        let x = Tensor(shape: [1, 2, 2, 2], values: (0..<8).map(Float.init))
        let layer = Flatten()
        let y = layer.forward(x, training: true)
        #expect(y.shape == [1, 8] && y.values == x.values)
        #expect(layer.backward(y).shape == [1, 2, 2, 2])
    }

    @Test("a small conv net end to end: gradients of the cross-entropy loss")
    func endToEnd() {
        var rng = SeededGenerator(seed: 11)
        let net = Sequential([
            Conv2D(inChannels: 1, outChannels: 3, kernelSize: 3, padding: 1, rng: &rng), ReLU(), MaxPool2D(size: 2),
            Flatten(), Linear(inFeatures: 3 * 3 * 3, outFeatures: 4, rng: &rng),
        ])
        let x = randomTensor([3, 1, 6, 6], seed: 12), labels = [0, 3, 1]
        net.zeroGradients()
        let result = CrossEntropy(logits: net.forward(x, training: true), labels: labels)
        _ = net.backward(result.gradient)
        let step: Float = 1e-3
        var worst = 0.0
        for parameter in net.parameters {
            let analytic = parameter.gradient.values
            for i in stride(from: 0, to: parameter.value.count, by: 3) {
                let saved = parameter.value.values[i]
                parameter.value.values[i] = saved + step
                let up = Double(CrossEntropy(logits: net.forward(x, training: true), labels: labels).loss)
                parameter.value.values[i] = saved - step
                let down = Double(CrossEntropy(logits: net.forward(x, training: true), labels: labels).loss)
                parameter.value.values[i] = saved
                worst = max(worst, abs((up - down) / (2 * Double(step)) - Double(analytic[i])))
            }
        }
        // Float loss differences over a 0.002 step resolve gradients to about 1e-3; a wrong
        // index shows as an error of order 0.1.
        #expect(worst < 5e-3, "worst gradient error \(worst)")
    }

    @Test("cross-entropy: stable for huge logits, gradient rows sum to zero")
    func crossEntropy() {
        let logits = Tensor(shape: [2, 3], values: [1000, 0, -1000, 1, 2, 3])
        let result = CrossEntropy(logits: logits, labels: [0, 1])
        #expect(result.loss.isFinite)
        // Row 0: loss ≈ 0; row 1: log(e¹ + e² + e³) − 2 = 1.40760596.
        #expect(abs(Double(result.loss) - 1.40760596 / 2) < 1e-5)
        #expect(result.correct == 1)
        for row in 0..<2 {
            let sum = (0..<3).reduce(Float(0)) { $0 + result.gradient.values[row * 3 + $1] }
            #expect(abs(sum) < 1e-6)
        }
    }

    @Test("MaxPool2D's and ReLU's backward passes split over 2 workers give 1 worker's bits",
          arguments: [(2, 2), (3, 2), (2, 1)])
    func poolAndReLUWorkersAgree(size: Int, stride: Int) {
        // 5 planes: the workers' shares differ in size; overlapping windows (stride < size) add
        // two gradients into one input in the same plane.
        func run(threads: Int) -> (Tensor, Tensor) {
            Compute.withWorkers(threads) {
                let x = randomTensor([1, 5, 9, 9], seed: 16)
                let relu = ReLU(), pool = MaxPool2D(size: size, stride: stride)
                let y = pool.forward(relu.forward(x, training: true), training: true)
                let dPool = pool.backward(randomTensor(y.shape, seed: 17))
                return (dPool, relu.backward(dPool))
            }
        }
        let single = run(threads: 1), double = run(threads: 2)
        #expect(single.0.values.contains { $0 != 0 } && single.1.values.contains { $0 != 0 })
        #expect(single.0 == double.0 && single.1 == double.1)
    }

    @Test("an empty batch goes through MaxPool2D's and ReLU's forward and backward passes")
    func emptyBatch() {
        Compute.withWorkers(2) {
            let relu = ReLU(), pool = MaxPool2D()
            let y = pool.forward(relu.forward(Tensor(shape: [0, 3, 4, 4], values: []), training: true), training: true)
            #expect(y.shape == [0, 3, 2, 2])
            let dx = relu.backward(pool.backward(y))
            #expect(dx.shape == [0, 3, 4, 4] && dx.count == 0)
        }
    }

    @Test("Conv2D gives the same outputs and gradients with 1 and 2 workers")
    func workersAgree() {
        func run(threads: Int) -> (Tensor, Tensor, [Float]) {
            Compute.withWorkers(threads) {
                var rng = SeededGenerator(seed: 13)
                let layer = Conv2D(inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1, rng: &rng)
                let x = randomTensor([5, 3, 8, 8], seed: 14)
                let y = layer.forward(x, training: true)
                let dx = layer.backward(randomTensor(y.shape, seed: 15))
                return (y, dx, layer.weight.gradient.values)
            }
        }
        let single = run(threads: 1), double = run(threads: 2)
        // The count holds inside the body only (other tests running at once keep theirs).
        #expect(Compute.withWorkers(2) { Compute.workers } == 2 && Compute.withWorkers(1) { Compute.workers } == 1)
        #expect(single.0 == double.0 && single.1 == double.1)
        let worst = zip(single.2, double.2).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-4, "weight gradients differ by \(worst)")
    }
}
