/// What pruning criteria read from a forward/backward pass: every layer's output and the
/// gradient of the loss with respect to it.
///
/// Recording is off by default (it keeps a batch's activations alive); criteria switch it on
/// for the batches they score.
extension Sequential {
    /// Output of layer `i` in the last recorded forward pass (`layer i`'s input is entry i − 1).
    public var recordedOutputs: [Tensor] { recorder.outputs }
    /// ∂loss/∂(output of layer `i`) in the last recorded backward pass.
    public var recordedOutputGradients: [Tensor] { recorder.outputGradients }
}

/// Storage for `Sequential`'s recording.
final class ActivationRecorder {
    var enabled = false
    var outputs: [Tensor] = []
    var outputGradients: [Tensor] = []
}
