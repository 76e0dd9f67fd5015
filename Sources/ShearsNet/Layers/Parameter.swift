/// A trainable tensor with its gradient and an optional pruning mask.
///
/// A class so that optimizers can key their state by identity, and pruning can replace the
/// value (structural surgery) while the optimizer's state is sliced alongside.
public final class Parameter {
    /// PyTorch-style name within its layer (`weight`, `bias`).
    public let name: String
    /// The current weights, in PyTorch's layout for the layer (conv `F x C x kh x kw`, linear `out x in`).
    public var value: Tensor
    /// Accumulated ∂loss/∂value since the last `zeroGradient()`.
    public var gradient: Tensor
    /// 1 keeps a weight, 0 prunes it; `nil` means dense. Masked weights stay exactly zero.
    public var mask: [Float]?
    /// Whether weight decay applies (weights yes, biases by convention no).
    public let decays: Bool

    /// A dense parameter with a zero gradient of the same shape.
    public init(name: String, value: Tensor, decays: Bool) {
        self.name = name
        self.value = value
        self.decays = decays
        gradient = Tensor(shape: value.shape)
    }

    /// Sets `gradient` to zeros, reshaping it first if surgery changed `value`'s shape.
    public func zeroGradient() {
        if gradient.shape != value.shape { gradient = Tensor(shape: value.shape) }
        gradient.values.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// Sets masked weights (and their gradients) to exactly zero.
    public func applyMask() {
        guard let mask else { return }
        precondition(mask.count == value.count, "Parameter \(name): mask has \(mask.count) entries, value \(value.count)")
        for i in 0..<mask.count where mask[i] == 0 {
            value.values[i] = 0
            gradient.values[i] = 0
        }
    }
}
