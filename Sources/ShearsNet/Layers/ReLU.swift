/// `max(0, x)`; its backward passes gradients where the output is positive.
///
/// The output itself is kept as the mask (no separate boolean array): `y > 0 ⇔ x > 0`.
public final class ReLU: Layer {
    private var output = Tensor(shape: [0])

    public init() {}

    public func outputShape(for inputShape: [Int]) -> [Int] { inputShape }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        var values = [Float](unsafeUninitializedCapacity: input.count) { out, initialized in
            input.values.withUnsafeBufferPointer { x in
                for i in 0..<x.count { out[i] = max(x[i], 0) }
            }
            initialized = input.count
        }
        if values.count != input.count { values = [] }
        output = Tensor(shape: input.shape, values: values)
        return output
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        precondition(outputGradient.count == output.count, "ReLU.backward: \(outputGradient.shape) vs \(output.shape)")
        var gradient = outputGradient
        gradient.values.withUnsafeMutableBufferPointer { g in
            output.values.withUnsafeBufferPointer { y in
                for i in 0..<g.count where !(y[i] > 0) { g[i] = 0 }
            }
        }
        return gradient
    }
}
