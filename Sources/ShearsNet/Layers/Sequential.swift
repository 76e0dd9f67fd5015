/// Layers applied in order; backward runs them in reverse. A chain of layers as one `Layer`,
/// for composing small blocks by hand; networks with branches are `GraphNetwork`s.
public final class Sequential: Layer {
    /// The layers, first applied first.
    public var layers: [Layer]

    /// A network that applies `layers` in order.
    public init(_ layers: [Layer]) { self.layers = layers }

    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        layers.reduce(inputShape) { $1.outputShape(for: $0) }
    }

    /// Each layer's output feeds the next.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        layers.reduce(input) { $1.forward($0, training: training) }
    }

    /// Runs the layers' backward passes in reverse order.
    public func backward(_ outputGradient: Tensor) -> Tensor {
        layers.reversed().reduce(outputGradient) { $1.backward($0) }
    }

    /// Zeroes the gradient of every layer's parameters, as the caller must before accumulating a new batch.
    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGradient() }
    }
}
