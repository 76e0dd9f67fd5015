/// A network layer with an explicit, local backward pass.
///
/// `forward` caches what `backward` needs; `backward` takes ∂loss/∂output, *accumulates*
/// parameter gradients and returns ∂loss/∂input (Swift for TensorFlow's "backpropagator"
/// style, made stateful). Gradients are zeroed explicitly by the caller.
public protocol Layer: AnyObject {
    /// Output shape for an input shape (batch dimension included).
    func outputShape(for inputShape: [Int]) -> [Int]
    /// The output for a batch (batch dimension first), caching what `backward` needs. With `training` false,
    /// BatchNorm uses its running statistics and Dropout is the identity.
    func forward(_ input: Tensor, training: Bool) -> Tensor
    /// Takes ∂loss/∂output of the last `forward`, adds the parameter gradients into each `Parameter.gradient`
    /// and returns ∂loss/∂input, shaped as that forward's input.
    func backward(_ outputGradient: Tensor) -> Tensor
    /// Trainable parameters, in checkpoint order.
    var parameters: [Parameter] { get }
    /// The evaluation-mode output for a batch, when no `backward` follows: `forward(input,
    /// training: false)`'s values, computed however is fastest (`GraphNetwork` fuses more
    /// layers than a forward pass whose caches backward reads can).
    func predict(_ input: Tensor) -> Tensor
}

extension Layer {
    public var parameters: [Parameter] { [] }

    public func predict(_ input: Tensor) -> Tensor { forward(input, training: false) }
}
