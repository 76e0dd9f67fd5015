/// Stochastic gradient descent with momentum, optional Nesterov, and decoupled-from-bias
/// L2 weight decay, in PyTorch's formulation:
/// `g ← ∇ + wd·w`, `v ← μ·v + g`, `w ← w − lr·(Nesterov ? g + μ·v : v)`.
///
/// Momentum buffers are keyed by parameter identity; masked weights stay exactly zero.
public final class SGD {
    /// Step size `lr`; callers change it between epochs or steps to follow a schedule.
    public var learningRate: Float
    /// Momentum `μ` (0: plain SGD).
    public let momentum: Float
    /// L2 coefficient `wd` added to the gradient (of weights only unless `decaysEveryParameter`).
    public let weightDecay: Float
    /// Whether the step uses Nesterov's look-ahead `g + μ·v` instead of `v`.
    public let nesterov: Bool
    /// Decay every parameter, biases and BatchNorm included, as `torch.optim.SGD(model.parameters())`
    /// does; by default only parameters marked `decays` (weights) are decayed.
    public let decaysEveryParameter: Bool
    private var velocity: [ObjectIdentifier: [Float]] = [:]

    /// SGD with PyTorch's defaults for everything but the learning rate (no momentum, no decay).
    public init(learningRate: Float, momentum: Float = 0, weightDecay: Float = 0, nesterov: Bool = false,
                decaysEveryParameter: Bool = false) {
        precondition(learningRate > 0 && momentum >= 0 && weightDecay >= 0,
                     "SGD: learning rate \(learningRate), momentum \(momentum), weight decay \(weightDecay)")
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        self.decaysEveryParameter = decaysEveryParameter
    }

    /// One update of every parameter from its accumulated gradient, by the formula above; a parameter whose size
    /// changed (surgery) restarts with zero velocity.
    public func step(_ parameters: [Parameter]) {
        for parameter in parameters {
            let key = ObjectIdentifier(parameter)
            // Taken out of the dictionary so that mutating it does not copy the buffer (COW).
            var v = velocity.removeValue(forKey: key) ?? []
            if v.count != parameter.value.count { v = [Float](repeating: 0, count: parameter.value.count) }
            let decay = parameter.decays || decaysEveryParameter ? weightDecay : 0
            let (lr, mu, nesterov) = (learningRate, momentum, nesterov)
            parameter.value.values.withUnsafeMutableBufferPointer { w in
                parameter.gradient.values.withUnsafeBufferPointer { grad in
                    v.withUnsafeMutableBufferPointer { vel in
                        for i in 0..<w.count {
                            let g = grad[i] + decay * w[i]
                            vel[i] = mu * vel[i] + g
                            w[i] -= lr * (nesterov ? g + mu * vel[i] : vel[i])
                        }
                    }
                }
            }
            velocity[key] = v
            parameter.applyMask()
        }
    }

    /// The momentum buffer of `parameter` (nil before its first step), for checkpoints.
    public func velocity(of parameter: Parameter) -> [Float]? { velocity[ObjectIdentifier(parameter)] }

    /// Restores `parameter`'s momentum buffer from a checkpoint.
    public func setVelocity(_ values: [Float], of parameter: Parameter) {
        precondition(values.count == parameter.value.count,
                     "SGD.setVelocity: \(values.count) values for \(parameter.name) of \(parameter.value.count)")
        velocity[ObjectIdentifier(parameter)] = values
    }
}
