/// `N x C x H x W → N x C x 1 x 1`: each channel's mean over its plane (PyTorch's
/// `AdaptiveAvgPool2d(1)`, the head of a ResNet).
///
/// Backward spreads each gradient evenly: `∂x[n,c,p] = ∂y[n,c] / (H·W)`.
public final class GlobalAveragePool: Layer {
    private var inputShape: [Int] = []

    /// A global average pool; it has no parameters.
    public init() {}

    public func outputShape(for inputShape: [Int]) -> [Int] { [inputShape[0], inputShape[1], 1, 1] }

    /// `[N, C, H, W] → [N, C, 1, 1]`, the mean of each plane.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.shape.count == 4, "GlobalAveragePool.forward: expected [N, C, H, W], got \(input.shape)")
        inputShape = input.shape
        let planes = input.shape[0] * input.shape[1], plane = input.shape[2] * input.shape[3]
        var output = [Float](repeating: 0, count: planes)
        input.values.withUnsafeBufferPointer { x in
            for index in 0..<planes {
                var sum: Float = 0
                for q in (index * plane)..<((index + 1) * plane) { sum += x[q] }
                output[index] = sum / Float(plane)
            }
        }
        return Tensor(shape: outputShape(for: input.shape), values: output)
    }

    /// Returns `∂x[n, c, p] = ∂y[n, c] / (H·W)`.
    public func backward(_ outputGradient: Tensor) -> Tensor {
        requireShape(outputGradient.shape, outputShape(for: inputShape), "GlobalAveragePool.backward")
        let plane = inputShape[2] * inputShape[3]
        var gradient = [Float](repeating: 0, count: inputShape.reduce(1, *))
        gradient.withUnsafeMutableBufferPointer { dx in
            for (index, g) in outputGradient.values.enumerated() {
                let share = g / Float(plane)
                for q in (index * plane)..<((index + 1) * plane) { dx[q] = share }
            }
        }
        return Tensor(shape: inputShape, values: gradient)
    }
}
