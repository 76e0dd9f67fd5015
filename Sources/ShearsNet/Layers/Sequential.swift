/// Layers applied in order; backward runs them in reverse.
public final class Sequential: Layer {
    public var layers: [Layer]

    public init(_ layers: [Layer]) { self.layers = layers }

    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        layers.reduce(inputShape) { $1.outputShape(for: $0) }
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        layers.reduce(input) { $1.forward($0, training: training) }
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        layers.reversed().reduce(outputGradient) { $1.backward($0) }
    }

    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGradient() }
    }
}
