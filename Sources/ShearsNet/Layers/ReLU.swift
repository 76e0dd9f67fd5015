/// `max(0, x)`; its backward passes gradients where the output is positive.
///
/// The output itself is kept as the mask (no separate boolean array): `y > 0 ⇔ x > 0`.
public final class ReLU: Layer {
    private var output = Tensor(shape: [0])

    public init() {}

    public func outputShape(for inputShape: [Int]) -> [Int] { inputShape }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let values = [Float](unsafeUninitializedCapacity: input.count) { out, initialized in
            input.values.withUnsafeBufferPointer { x in
                Compute.parallelShares(x.count) { _, range in
                    for i in range { out[i] = max(x[i], 0) }
                }
            }
            initialized = input.count
        }
        output = Tensor(shape: input.shape, values: values)
        return output
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        precondition(outputGradient.count == output.count, "ReLU.backward: \(outputGradient.shape) vs \(output.shape)")
        let values = [Float](unsafeUninitializedCapacity: output.count) { g, initialized in
            outputGradient.values.withUnsafeBufferPointer { dy in
                output.values.withUnsafeBufferPointer { y in
                    Compute.parallelShares(y.count) { _, range in
                        for i in range { g[i] = y[i] > 0 ? dy[i] : 0 }
                    }
                }
            }
            initialized = output.count
        }
        return Tensor(shape: output.shape, values: values)
    }
}
