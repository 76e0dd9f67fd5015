/// resnet-s from a PyTorch state dict: the graph of `ResNet.small` with the widths the
/// tensors' shapes give.
extension ResNet {
    /// `ResNet.small` (same nodes, kernels, strides and classes) with every convolution's filters and
    /// input channels, and every BatchNorm's and linear layer's widths, taken from `tensors`
    /// (`<conv>.weight` is `[F, C, k, k]`, `<linear>.weight` is `[out, in]`), so that a
    /// state dict of a module pruned at any block's inner width or any stage's width fits.
    ///
    /// Each weight must read the width its input node carries, and the two sides of every
    /// residual `add` must agree (a stage's width is one coupled group); errors name the
    /// tensor. The BatchNorm tensors and anything missing or foreign are left to `restore`.
    public static func specification(fromTorchShapes tensors: [String: Tensor], source path: String) throws -> GraphSpecification {
        let layout = small
        func fail(_ reason: String) -> CheckpointError { .architectureMismatch(path: path, reason: reason) }
        func weight(_ node: String, rank: Int) throws -> [Int] {
            let name = "\(node).weight"
            guard let tensor = tensors[name] else { throw fail("tensor '\(name)' is missing") }
            guard tensor.shape.count == rank else {
                throw fail("tensor '\(name)' has shape \(tensor.shape), expected \(rank) dimensions")
            }
            return tensor.shape
        }
        var result = layout
        // Per node: its output's channels and the tensor that set them (for error messages).
        var channels = [GraphSpecification.inputName: (width: layout.inputShape[0], from: "the input")]
        for (index, node) in layout.nodes.enumerated() {
            guard let input = node.inputs.first, let (width, from) = channels[input] else {
                preconditionFailure("ResNet.specification(fromTorchShapes:): '\(node.name)' reads an unknown node")
            }
            switch node.operation {
            case let .convolution(_, _, kernelSize, stride, padding, bias):
                let shape = try weight(node.name, rank: 4)
                guard shape[1] == width, shape[2] == kernelSize, shape[3] == kernelSize else {
                    throw fail("tensor '\(node.name).weight' has shape \(shape), expected [F, \(width), \(kernelSize), "
                               + "\(kernelSize)] (\(width) channels from \(from))")
                }
                result.nodes[index].operation = .convolution(inChannels: width, outChannels: shape[0], kernelSize: kernelSize,
                                                             stride: stride, padding: padding, bias: bias)
                channels[node.name] = (shape[0], "'\(node.name).weight'")
            case .batchNorm:
                result.nodes[index].operation = .batchNorm(channels: width)
                channels[node.name] = (width, from)
            case let .linear(_, outFeatures):
                let shape = try weight(node.name, rank: 2)
                guard shape == [outFeatures, width] else {
                    throw fail("tensor '\(node.name).weight' has shape \(shape), expected [\(outFeatures), \(width)] "
                               + "(\(width) channels from \(from))")
                }
                result.nodes[index].operation = .linear(inFeatures: width, outFeatures: outFeatures)
                channels[node.name] = (outFeatures, "'\(node.name).weight'")
            case .add:
                if let mismatch = node.inputs.compactMap({ channels[$0] }).first(where: { $0.width != width }) {
                    throw fail("\(from) gives \(width) channels but \(mismatch.from) gives \(mismatch.width); "
                               + "'\(node.name)' adds them, so they must be equal (a stage's width is coupled)")
                }
                channels[node.name] = (width, from)
            case .relu, .globalAveragePool, .flatten:
                // flatten reads the 1x1 global pool, so its features are the channels.
                channels[node.name] = (width, from)
            case .maxPool, .concat:
                preconditionFailure("ResNet.specification(fromTorchShapes:): resnet-s has no \(node.operation)")
            }
        }
        if let problem = result.problem { throw fail(problem) }
        return result
    }
}
