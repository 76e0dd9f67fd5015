/// Batch normalisation over the channels of NCHW input (Ioffe & Szegedy 2015).
///
/// Training: `x̂ = (x − μ_B)/√(σ²_B + ε)`, `y = γ·x̂ + β`, with batch statistics over
/// N·H·W; the running statistics follow `r ← (1 − m)·r + m·batch` (unbiased variance), as
/// PyTorch. Evaluation uses the running statistics. Backward (training mode):
/// `∂x = γ/√(σ²+ε) · (∂y − mean(∂y) − x̂·mean(∂y·x̂))`, `∂γ = Σ ∂y·x̂`, `∂β = Σ ∂y`.
/// Running statistics are *state*: checkpoints and pruning see them, optimizers do not.
public final class BatchNorm2D: ReLUFusing {
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
    /// The last forward pass's input, and the mean and `1/√(σ² + ε)` it was normalised with:
    /// backward recomputes `x̂` from them instead of keeping a normalised copy.
    private var input = Tensor(shape: [0])
    private var means: [Float] = []
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
    ///
    /// The batch variance is the mean squared deviation from the batch mean (two passes), not
    /// `E[x²] − E[x]²`, which cancels when the mean is large against the spread.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        forward(input, training: training, thenReLU: false)
    }

    /// `forward(input, training:)`, with `max(0, ·)` applied as each value is written when
    /// `thenReLU` (`ReLUFusing`; backward reads only the input, which fusion leaves alone).
    public func forward(_ input: Tensor, training: Bool, thenReLU: Bool) -> Tensor {
        precondition(input.shape.count == 4 && input.shape[1] == channels,
                     "BatchNorm2D.forward: expected [N, \(channels), H, W], got \(input.shape)")
        trainingMode = training
        self.input = input
        let (n, c, plane) = (input.shape[0], channels, input.shape[2] * input.shape[3])
        means = Array(repeating: 0, count: c)
        inverseStd = Array(repeating: 0, count: c)
        let momentum = momentum, epsilon = epsilon
        // Uninitialised: every channel of every image is written below.
        let outputValues = [Float](unsafeUninitializedCapacity: input.count) { y, initialized in
            defer { initialized = input.count }
            input.values.withUnsafeBufferPointer { x in
                runningMean.withUnsafeMutableBufferPointer { runMean in
                    runningVariance.withUnsafeMutableBufferPointer { runVariance in
                        means.withUnsafeMutableBufferPointer { usedMeans in
                            inverseStd.withUnsafeMutableBufferPointer { invStds in
                                weight.value.values.withUnsafeBufferPointer { gamma in
                                    bias.value.values.withUnsafeBufferPointer { beta in
                                        // Channels are independent: each share writes only its own.
                                        Compute.parallelShares(c) { _, share in
                                            for channel in share {
                                                func row(_ image: Int) -> UnsafePointer<Float> {
                                                    x.baseAddress! + (image * c + channel) * plane
                                                }
                                                var mean = runMean[channel], variance = runVariance[channel]
                                                if training {
                                                    let total = Double(n * plane)
                                                    let sum = (0..<n).reduce(0.0) { $0 + Double(PlaneSums.sum(row($1), count: plane)) }
                                                    mean = Float(sum / total)
                                                    let squares = (0..<n).reduce(0.0) {
                                                        $0 + Double(PlaneSums.squaredDeviations(row($1), count: plane, mean: mean))
                                                    }
                                                    let batchVariance = squares / total
                                                    variance = Float(batchVariance)
                                                    let unbiased = total > 1 ? squares / (total - 1) : batchVariance
                                                    runMean[channel] = (1 - momentum) * runMean[channel] + momentum * mean
                                                    runVariance[channel] = (1 - momentum) * runVariance[channel]
                                                        + momentum * Float(unbiased)
                                                }
                                                let invStd = 1 / (variance + epsilon).squareRoot()
                                                (usedMeans[channel], invStds[channel]) = (mean, invStd)
                                                // y = γ·(x − μ)/√(σ² + ε) + β = a·x + b.
                                                let a = gamma[channel] * invStd, b = beta[channel] - mean * a
                                                for image in 0..<n {
                                                    let (source, out) = (row(image), y.baseAddress! + (image * c + channel) * plane)
                                                    if thenReLU {
                                                        for q in 0..<plane { out[q] = max(a * source[q] + b, 0) }
                                                    } else {
                                                        for q in 0..<plane { out[q] = a * source[q] + b }
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
        return Tensor(shape: input.shape, values: outputValues)
    }

    /// Evaluation mode's `y = a·x + b` for each channel, from the running statistics:
    /// `a = γ/√(σ² + ε)`, `b = β − μ·a`, by the same expressions `forward` uses (so the same
    /// bits; depth-first inference applies them image by image, `GraphNetwork+DepthFirst.swift`).
    public var evaluationAffine: (scale: [Float], shift: [Float]) {
        var (scale, shift) = ([Float](repeating: 0, count: channels), [Float](repeating: 0, count: channels))
        for channel in 0..<channels {
            let invStd = 1 / (runningVariance[channel] + epsilon).squareRoot()
            scale[channel] = weight.value.values[channel] * invStd
            shift[channel] = bias.value.values[channel] - runningMean[channel] * scale[channel]
        }
        return (scale, shift)
    }

    /// Adds `∂γ`, `∂β` and returns `∂x` by the formula above, with `x̂ = (x − μ)/√(σ² + ε)`
    /// recomputed from the stored input; after an evaluation-mode forward, the mean terms drop
    /// out and `∂x = γ·∂y/√(σ²+ε)`.
    public func backward(_ outputGradient: Tensor) -> Tensor {
        requireShape(outputGradient.shape, input.shape, "BatchNorm2D.backward")
        let (n, c, plane) = (input.shape[0], channels, input.shape[2] * input.shape[3])
        let count = Double(n * plane)
        let trainingMode = trainingMode
        // Uninitialised: every channel of every image is written below.
        let inputValues = [Float](unsafeUninitializedCapacity: input.count) { dx, initialized in
            defer { initialized = input.count }
            outputGradient.values.withUnsafeBufferPointer { dy in
                input.values.withUnsafeBufferPointer { x in
                    weight.gradient.values.withUnsafeMutableBufferPointer { dGamma in
                        bias.gradient.values.withUnsafeMutableBufferPointer { dBeta in
                            weight.value.values.withUnsafeBufferPointer { gamma in
                                means.withUnsafeBufferPointer { usedMeans in
                                    inverseStd.withUnsafeBufferPointer { invStds in
                                        Compute.parallelShares(c) { _, share in
                                            for channel in share {
                                                let (mean, invStd) = (usedMeans[channel], invStds[channel])
                                                var sumGrad = 0.0, sumGradDeviation = 0.0
                                                for image in 0..<n {
                                                    let offset = (image * c + channel) * plane
                                                    let (g, v) = (dy.baseAddress! + offset, x.baseAddress! + offset)
                                                    sumGrad += Double(PlaneSums.sum(g, count: plane))
                                                    sumGradDeviation += Double(PlaneSums.deviationProducts(g, v, count: plane, mean: mean))
                                                }
                                                let sumGradXHat = sumGradDeviation * Double(invStd)
                                                dGamma[channel] += Float(sumGradXHat)
                                                dBeta[channel] += Float(sumGrad)
                                                // ∂x = s·(∂y − m₁ − x̂·m₂) = s·∂y − s·m₂·invStd·(x − μ) − s·m₁.
                                                let scale = gamma[channel] * invStd
                                                let meanGrad = trainingMode ? Float(sumGrad / count) : 0
                                                let meanGradXHat = trainingMode ? Float(sumGradXHat / count) : 0
                                                let slope = scale * meanGradXHat * invStd
                                                for image in 0..<n {
                                                    let offset = (image * c + channel) * plane
                                                    let (g, v, out) = (dy.baseAddress! + offset, x.baseAddress! + offset,
                                                                       dx.baseAddress! + offset)
                                                    for q in 0..<plane { out[q] = scale * (g[q] - meanGrad) - slope * (v[q] - mean) }
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
        return Tensor(shape: input.shape, values: inputValues)
    }
}
