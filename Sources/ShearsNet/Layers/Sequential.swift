/// Layers applied in order; backward runs them in reverse.
public final class Sequential: Layer {
    /// The layers, first applied first; layer-wise pruning removes entries (`VGG` surgery).
    public var layers: [Layer]
    let recorder = ActivationRecorder()

    /// A network that applies `layers` in order.
    public init(_ layers: [Layer]) { self.layers = layers }

    /// Whether forward and backward keep every layer's output and output gradient.
    public var isRecording: Bool {
        get { recorder.enabled }
        set {
            recorder.enabled = newValue
            if !newValue { (recorder.outputs, recorder.outputGradients) = ([], []) }
        }
    }

    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        layers.reduce(inputShape) { $1.outputShape(for: $0) }
    }

    /// Each layer's output feeds the next; recorded in order when `isRecording`.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        guard recorder.enabled else { return layers.reduce(input) { $1.forward($0, training: training) } }
        recorder.outputs = []
        return layers.reduce(input) { x, layer in
            let y = layer.forward(x, training: training)
            recorder.outputs.append(y)
            return y
        }
    }

    /// Runs the layers' backward passes in reverse order; records each layer's output gradient when `isRecording`.
    public func backward(_ outputGradient: Tensor) -> Tensor {
        guard recorder.enabled else { return layers.reversed().reduce(outputGradient) { $1.backward($0) } }
        recorder.outputGradients = Array(repeating: Tensor(shape: [0]), count: layers.count)
        var gradient = outputGradient
        for index in layers.indices.reversed() {
            recorder.outputGradients[index] = gradient
            gradient = layers[index].backward(gradient)
        }
        return gradient
    }

    /// Zeroes the gradient of every layer's parameters, as the caller must before accumulating a new batch.
    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGradient() }
    }
}
