/// `N x C x H x W → N x (C·H·W)`, channel-major as in PyTorch, so checkpoints interoperate.
public final class Flatten: Layer {
    private var inputShape: [Int] = []

    /// A flatten layer; it has no parameters.
    public init() {}

    public func outputShape(for inputShape: [Int]) -> [Int] {
        [inputShape[0], inputShape.dropFirst().reduce(1, *)]
    }

    /// A reshape: the values keep their order.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        inputShape = input.shape
        return input.reshaped(outputShape(for: input.shape))
    }

    /// Reshapes `∂y` back to the last forward's input shape.
    public func backward(_ outputGradient: Tensor) -> Tensor {
        outputGradient.reshaped(inputShape)
    }
}
