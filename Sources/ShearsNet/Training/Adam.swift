import Foundation

/// Adam (Kingma & Ba 2015) with PyTorch's L2 weight decay added to the gradient:
/// `g ← ∇ + wd·w`, `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`,
/// `w ← w − lr · (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)`.
///
/// Moment buffers are keyed by parameter identity; masked weights stay exactly zero.
public final class Adam: Optimizer {
    /// Step size `lr`; callers change it between epochs or steps to follow a schedule.
    public var learningRate: Float
    /// Decay `β₁` of the first-moment (mean) estimate, in `[0, 1)`.
    public let beta1: Float
    /// Decay `β₂` of the second-moment (uncentred variance) estimate, in `[0, 1)`.
    public let beta2: Float
    /// `ε` added to `√v̂` in the denominator, so a weight with zero gradients does not divide by zero.
    public let epsilon: Float
    /// L2 coefficient `wd` added to the gradient of parameters marked `decays` (not AdamW's decoupled decay).
    public let weightDecay: Float
    private var moments: [ObjectIdentifier: (first: [Float], second: [Float], steps: Int)] = [:]

    /// Adam with PyTorch's defaults (`lr` 1e-3, betas 0.9 and 0.999, `ε` 1e-8, no decay).
    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0) {
        precondition(learningRate > 0 && (0..<1).contains(beta1) && (0..<1).contains(beta2) && epsilon > 0
                     && weightDecay >= 0,
                     "Adam: lr \(learningRate), betas (\(beta1), \(beta2)), eps \(epsilon), wd \(weightDecay)")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// One update of every parameter from its accumulated gradient, by the formula above; a parameter whose size
    /// changed (surgery) restarts its moments and bias correction.
    public func step(_ parameters: [Parameter]) {
        for parameter in parameters {
            let key = ObjectIdentifier(parameter)
            // Taken out of the dictionary so that mutating it does not copy the buffers (COW).
            var state = moments.removeValue(forKey: key) ?? ([], [], 0)
            if state.first.count != parameter.value.count {
                state = ([Float](repeating: 0, count: parameter.value.count),
                         [Float](repeating: 0, count: parameter.value.count), 0)
            }
            state.steps += 1
            let correction1 = 1 - pow(beta1, Float(state.steps)), correction2 = 1 - pow(beta2, Float(state.steps))
            let decay = parameter.decays ? weightDecay : 0
            let (lr, b1, b2, eps) = (learningRate, beta1, beta2, epsilon)
            parameter.value.values.withUnsafeMutableBufferPointer { w in
                parameter.gradient.values.withUnsafeBufferPointer { grad in
                    state.first.withUnsafeMutableBufferPointer { m in
                        state.second.withUnsafeMutableBufferPointer { v in
                            for i in 0..<w.count {
                                let g = grad[i] + decay * w[i]
                                m[i] = b1 * m[i] + (1 - b1) * g
                                v[i] = b2 * v[i] + (1 - b2) * g * g
                                w[i] -= lr * (m[i] / correction1) / ((v[i] / correction2).squareRoot() + eps)
                            }
                        }
                    }
                }
            }
            moments[key] = state
            parameter.applyMask()
        }
    }
}
