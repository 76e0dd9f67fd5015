/// `N x C x H x W → N x (C·H·W)`, channel-major as in PyTorch, so checkpoints interoperate.
public final class Flatten: Layer {
    private var inputShape: [Int] = []

    public init() {}

    public func outputShape(for inputShape: [Int]) -> [Int] {
        [inputShape[0], inputShape.dropFirst().reduce(1, *)]
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        inputShape = input.shape
        return input.reshaped(outputShape(for: input.shape))
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        outputGradient.reshaped(inputShape)
    }
}
