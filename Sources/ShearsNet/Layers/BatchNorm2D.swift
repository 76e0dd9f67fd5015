/// Batch normalisation over the channels of NCHW input (Ioffe & Szegedy 2015).
///
/// Training: `x̂ = (x − μ_B)/√(σ²_B + ε)`, `y = γ·x̂ + β`, with batch statistics over
/// N·H·W; the running statistics follow `r ← (1 − m)·r + m·batch` (unbiased variance), as
/// PyTorch. Evaluation uses the running statistics. Backward (training mode):
/// `∂x = γ/√(σ²+ε) · (∂y − mean(∂y) − x̂·mean(∂y·x̂))`, `∂γ = Σ ∂y·x̂`, `∂β = Σ ∂y`.
/// Running statistics are *state*: checkpoints and pruning see them, optimizers do not.
public final class BatchNorm2D: Layer {
    /// Scale `γ`, one per channel, initialised to 1; not decayed.
    public let weight: Parameter
    /// Shift `β`, one per channel, initialised to 0; not decayed.
    public let bias: Parameter
    /// Running mean per channel (state, starts at 0), used in evaluation.
    public var runningMean: [Float]
    /// Running unbiased variance per channel (state, starts at 1), used in evaluation.
    public var runningVariance: [Float]
    /// Weight `m` of the current batch in the running statistics (PyTorch's default 0.1).
    public let momentum: Float
    /// `ε` added to the variance before the square root (default 1e-5, as PyTorch).
    public let epsilon: Float
    private var normalized = Tensor(shape: [0])
    private var inverseStd: [Float] = []
    private var trainingMode = true

    /// Number of channels `C` normalised.
    public var channels: Int { weight.value.count }

    /// Identity-initialised normalisation of `channels` channels (`γ = 1`, `β = 0`, running mean 0, variance 1).
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

    /// `[N, C, H, W]` in and out; in training, normalises with the batch statistics and updates the running ones.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.shape.count == 4 && input.shape[1] == channels,
                     "BatchNorm2D.forward: expected [N, \(channels), H, W], got \(input.shape)")
        trainingMode = training
        let (n, c, plane) = (input.shape[0], channels, input.shape[2] * input.shape[3])
        let count = n * c * plane
        var xHatValues = [Float](repeating: 0, count: count)
        var outputValues = [Float](repeating: 0, count: count)
        inverseStd = Array(repeating: 0, count: c)
        let momentum = momentum, epsilon = epsilon
        input.values.withUnsafeBufferPointer { x in
            xHatValues.withUnsafeMutableBufferPointer { xHat in
                outputValues.withUnsafeMutableBufferPointer { y in
                    runningMean.withUnsafeMutableBufferPointer { runMean in
                        runningVariance.withUnsafeMutableBufferPointer { runVariance in
                            inverseStd.withUnsafeMutableBufferPointer { invStds in
                                weight.value.values.withUnsafeBufferPointer { gamma in
                                    bias.value.values.withUnsafeBufferPointer { beta in
                                        // Channels are independent: each share writes only its own.
                                        Compute.parallelShares(c) { _, share in
                                            for channel in share {
                                                var mean = runMean[channel], variance = runVariance[channel]
                                                if training {
                                                    var sum = 0.0, squares = 0.0
                                                    for image in 0..<n {
                                                        let row = x.baseAddress! + (image * c + channel) * plane
                                                        for q in 0..<plane { let v = Double(row[q]); sum += v; squares += v * v }
                                                    }
                                                    let total = Double(n * plane)
                                                    let batchMean = sum / total
                                                    let batchVariance = max(0, squares / total - batchMean * batchMean)
                                                    (mean, variance) = (Float(batchMean), Float(batchVariance))
                                                    let unbiased = total > 1 ? batchVariance * total / (total - 1) : batchVariance
                                                    runMean[channel] = (1 - momentum) * runMean[channel] + momentum * mean
                                                    runVariance[channel] = (1 - momentum) * runVariance[channel]
                                                        + momentum * Float(unbiased)
                                                }
                                                let invStd = 1 / (variance + epsilon).squareRoot()
                                                invStds[channel] = invStd
                                                let (scale, shift) = (gamma[channel], beta[channel])
                                                for image in 0..<n {
                                                    let offset = (image * c + channel) * plane
                                                    let (row, normalized, out) = (x.baseAddress! + offset,
                                                                                  xHat.baseAddress! + offset, y.baseAddress! + offset)
                                                    for q in 0..<plane {
                                                        let value = (row[q] - mean) * invStd
                                                        normalized[q] = value
                                                        out[q] = scale * value + shift
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        normalized = Tensor(shape: input.shape, values: xHatValues)
        return Tensor(shape: input.shape, values: outputValues)
    }

    /// Adds `∂γ`, `∂β` and returns `∂x` by the formula above; after an evaluation-mode forward, the mean terms drop
    /// out and `∂x = γ·∂y/√(σ²+ε)`.
    public func backward(_ outputGradient: Tensor) -> Tensor {
        requireShape(outputGradient.shape, normalized.shape, "BatchNorm2D.backward")
        let (n, c, plane) = (normalized.shape[0], channels, normalized.shape[2] * normalized.shape[3])
        let count = Double(n * plane)
        var inputValues = [Float](repeating: 0, count: normalized.count)
        let trainingMode = trainingMode
        outputGradient.values.withUnsafeBufferPointer { dy in
            normalized.values.withUnsafeBufferPointer { xHat in
                inputValues.withUnsafeMutableBufferPointer { dx in
                    weight.gradient.values.withUnsafeMutableBufferPointer { dGamma in
                        bias.gradient.values.withUnsafeMutableBufferPointer { dBeta in
                            weight.value.values.withUnsafeBufferPointer { gamma in
                                inverseStd.withUnsafeBufferPointer { invStds in
                                    Compute.parallelShares(c) { _, share in
                                        for channel in share {
                                            var sumGrad = 0.0, sumGradXHat = 0.0
                                            for image in 0..<n {
                                                let offset = (image * c + channel) * plane
                                                let (g, h) = (dy.baseAddress! + offset, xHat.baseAddress! + offset)
                                                for q in 0..<plane { sumGrad += Double(g[q]); sumGradXHat += Double(g[q] * h[q]) }
                                            }
                                            dGamma[channel] += Float(sumGradXHat)
                                            dBeta[channel] += Float(sumGrad)
                                            let scale = gamma[channel] * invStds[channel]
                                            let meanGrad = trainingMode ? Float(sumGrad / count) : 0
                                            let meanGradXHat = trainingMode ? Float(sumGradXHat / count) : 0
                                            for image in 0..<n {
                                                let offset = (image * c + channel) * plane
                                                let (g, h, out) = (dy.baseAddress! + offset, xHat.baseAddress! + offset,
                                                                   dx.baseAddress! + offset)
                                                for q in 0..<plane { out[q] = scale * (g[q] - meanGrad - h[q] * meanGradXHat) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: normalized.shape, values: inputValues)
    }
}
