/// Batch normalisation over the channels of NCHW input (Ioffe & Szegedy 2015).
///
/// Training: `x̂ = (x − μ_B)/√(σ²_B + ε)`, `y = γ·x̂ + β`, with batch statistics over
/// N·H·W; the running statistics follow `r ← (1 − m)·r + m·batch` (unbiased variance), as
/// PyTorch. Evaluation uses the running statistics. Backward (training mode):
/// `∂x = γ/√(σ²+ε) · (∂y − mean(∂y) − x̂·mean(∂y·x̂))`, `∂γ = Σ ∂y·x̂`, `∂β = Σ ∂y`.
/// Running statistics are *state*: checkpoints and pruning see them, optimizers do not.
public final class BatchNorm2D: Layer {
    public let weight: Parameter
    public let bias: Parameter
    public var runningMean: [Float]
    public var runningVariance: [Float]
    public let momentum: Float
    public let epsilon: Float
    private var normalized = Tensor(shape: [0])
    private var inverseStd: [Float] = []
    private var trainingMode = true

    public var channels: Int { weight.value.count }

    public init(channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        precondition(channels > 0 && momentum >= 0 && momentum <= 1 && epsilon > 0,
                     "BatchNorm2D: channels \(channels), momentum \(momentum), epsilon \(epsilon)")
        weight = Parameter(name: "weight", value: Tensor(shape: [channels], repeating: 1), decays: false)
        bias = Parameter(name: "bias", value: Tensor(shape: [channels]), decays: false)
        runningMean = Array(repeating: 0, count: channels)
        runningVariance = Array(repeating: 1, count: channels)
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public var parameters: [Parameter] { [weight, bias] }

    public func outputShape(for inputShape: [Int]) -> [Int] { inputShape }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.shape.count == 4 && input.shape[1] == channels,
                     "BatchNorm2D.forward: expected [N, \(channels), H, W], got \(input.shape)")
        trainingMode = training
        let (n, plane) = (input.shape[0], input.shape[2] * input.shape[3])
        var output = Tensor(shape: input.shape)
        normalized = Tensor(shape: input.shape)
        inverseStd = Array(repeating: 0, count: channels)
        for c in 0..<channels {
            var mean = runningMean[c], variance = runningVariance[c]
            if training {
                var sum = 0.0, squares = 0.0
                for image in 0..<n {
                    let base = (image * channels + c) * plane
                    for q in 0..<plane { let v = Double(input.values[base + q]); sum += v; squares += v * v }
                }
                let count = Double(n * plane)
                let batchMean = sum / count
                let batchVariance = max(0, squares / count - batchMean * batchMean)
                mean = Float(batchMean)
                variance = Float(batchVariance)
                let unbiased = count > 1 ? batchVariance * count / (count - 1) : batchVariance
                runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mean
                runningVariance[c] = (1 - momentum) * runningVariance[c] + momentum * Float(unbiased)
            }
            let invStd = 1 / (variance + epsilon).squareRoot()
            inverseStd[c] = invStd
            let (gamma, beta) = (weight.value.values[c], bias.value.values[c])
            for image in 0..<n {
                let base = (image * channels + c) * plane
                for q in 0..<plane {
                    let xHat = (input.values[base + q] - mean) * invStd
                    normalized.values[base + q] = xHat
                    output.values[base + q] = gamma * xHat + beta
                }
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        requireShape(outputGradient.shape, normalized.shape, "BatchNorm2D.backward")
        let (n, plane) = (normalized.shape[0], normalized.shape[2] * normalized.shape[3])
        let count = Float(n * plane)
        var inputGradient = Tensor(shape: normalized.shape)
        for c in 0..<channels {
            var sumGrad: Float = 0, sumGradXHat: Float = 0
            for image in 0..<n {
                let base = (image * channels + c) * plane
                for q in 0..<plane {
                    let g = outputGradient.values[base + q]
                    sumGrad += g
                    sumGradXHat += g * normalized.values[base + q]
                }
            }
            weight.gradient.values[c] += sumGradXHat
            bias.gradient.values[c] += sumGrad
            let scale = weight.value.values[c] * inverseStd[c]
            for image in 0..<n {
                let base = (image * channels + c) * plane
                for q in 0..<plane {
                    let g = outputGradient.values[base + q]
                    inputGradient.values[base + q] = trainingMode
                        ? scale * (g - sumGrad / count - normalized.values[base + q] * sumGradXHat / count)
                        : scale * g
                }
            }
        }
        return inputGradient
    }
}
