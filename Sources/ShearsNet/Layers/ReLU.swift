/// `max(0, x)`; its backward passes gradients where the output is positive.
///
/// The output itself is kept as the mask (no separate boolean array): `y > 0 ⇔ x > 0`.
public final class ReLU: Layer {
    private var output = Tensor(shape: [0])

    /// A ReLU; it has no parameters.
    public init() {}

    public func outputShape(for inputShape: [Int]) -> [Int] { inputShape }

    /// `max(0, x)` elementwise, any shape.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let values = [Float](unsafeUninitializedCapacity: input.count) { out, initialized in
            // One thread: this is memory-bound, and splitting it measured slower (first-touch
            // page faults of the new buffer from two threads contend in the kernel).
            input.values.withUnsafeBufferPointer { x in
                for i in 0..<x.count { out[i] = max(x[i], 0) }
            }
            initialized = input.count
        }
        output = Tensor(shape: input.shape, values: values)
        return output
    }

    /// Takes `output`, computed by the layer before with this ReLU fused into it
    /// (`ReLUFusing`), as this layer's last output, for `backward`.
    func adopt(fusedOutput output: Tensor) { self.output = output }

    /// Returns `∂y` where the last output was positive and 0 elsewhere (the subgradient at 0 is 0,
    /// as PyTorch), the values split over the workers in contiguous shares.
    public func backward(_ outputGradient: Tensor) -> Tensor {
        precondition(outputGradient.count == output.count, "ReLU.backward: \(outputGradient.shape) vs \(output.shape)")
        guard output.count > 0 else { return output }
        let values = [Float](unsafeUninitializedCapacity: output.count) { g, initialized in
            outputGradient.values.withUnsafeBufferPointer { dy in
                output.values.withUnsafeBufferPointer { y in
                    Compute.parallelShares(y.count) { _, share in
                        ReLU.maskGradient(dy.baseAddress! + share.lowerBound, by: y.baseAddress! + share.lowerBound,
                                          count: share.count, into: g.baseAddress! + share.lowerBound)
                    }
                }
            }
            initialized = output.count
        }
        return Tensor(shape: output.shape, values: values)
    }

    /// `g[i] = ∂y[i]` where the ReLU's output `y[i]` is positive, else 0: the backward pass, for
    /// `count` values (`g` may be `dy`: in place; a conv after the ReLU calls it on its `∂X`,
    /// `Conv2D.masksInputGradientByInput`).
    ///
    /// Branch-free: y ≥ 0, so y > 0 ⇔ its bits are non-zero. A branch here mispredicts on
    /// every other element and cost 4x the forward pass.
    static func maskGradient(_ dy: UnsafePointer<Float>, by y: UnsafePointer<Float>, count: Int,
                             into g: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            let keep: UInt32 = y[i].bitPattern == 0 ? 0 : ~0
            g[i] = Float(bitPattern: dy[i].bitPattern & keep)
        }
    }
}
