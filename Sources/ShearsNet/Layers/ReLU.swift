/// `max(0, x)`; its backward passes gradients where the input was positive.
public final class ReLU: Layer {
    private var positive: [Bool] = []

    public init() {}

    public func outputShape(for inputShape: [Int]) -> [Int] { inputShape }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        var output = input
        if positive.count != input.count { positive = Array(repeating: false, count: input.count) }
        output.values.withUnsafeMutableBufferPointer { out in
            positive.withUnsafeMutableBufferPointer { keep in
                for i in 0..<out.count {
                    let on = out[i] > 0
                    keep[i] = on
                    if !on { out[i] = 0 }
                }
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        precondition(outputGradient.count == positive.count, "ReLU.backward: \(outputGradient.count) vs \(positive.count)")
        var gradient = outputGradient
        gradient.values.withUnsafeMutableBufferPointer { g in
            positive.withUnsafeBufferPointer { keep in
                for i in 0..<g.count where !keep[i] { g[i] = 0 }
            }
        }
        return gradient
    }
}
