/// Where `GraphNetwork.torchStateDict` put a conv's folded `output_offset`, which PyTorch's
/// modules have no tensor for.
public struct TorchOffsetFold: Equatable, Sendable {
    /// The offset, `<node>.output_offset`.
    public let offset: String
    /// The tensor it was folded into: the conv's `<node>.bias`, or the `running_mean` of the
    /// BatchNorm that alone reads the conv.
    public let target: String
    /// True when the offset is spatially uniform per channel, so the fold is exact; false when
    /// it varies near the border and its interior value was used.
    public let exact: Bool
}

/// Graph networks as plain PyTorch state dicts: the tensors of the module the graph's names
/// describe (for `resnet-s`, torchvision's ResNet/BasicBlock built with the pruned widths).
extension GraphNetwork {
    /// The state dict of the PyTorch module with this graph's names and (pruned) widths,
    /// loadable with `load_state_dict(strict=True)`: `<node>.weight`, `<node>.bias` for convs
    /// with a bias and linear layers, and each BatchNorm's `weight`, `bias`, `running_mean`
    /// and `running_var`. `num_batches_tracked` (int64) is not written: for a state dict
    /// without `_metadata`, as `safetensors.torch.load_file` returns, BatchNorm's loader
    /// fills it in itself (`_NormBase._load_from_state_dict`, version None), and Shears
    /// keeps no such count to write.
    ///
    /// Masks are applied and shape-pruned convolutions written densely, both exact. A folded
    /// `output_offset` (`F x Ho x Wo`) goes, one value per channel, into the conv's bias, or,
    /// for a conv without bias read only by a BatchNorm, into that BatchNorm's running mean:
    /// in evaluation `BN(y + o)` with running mean `μ` equals `BN(y)` with `μ − o`. That is
    /// exact when `o` is spatially uniform per channel (a 1x1 unpadded conv of a constant
    /// plane); a 3x3 padded conv's offset varies on the border rows and columns and is
    /// folded by its interior value, which the export command measures in accuracy. Any
    /// other offset throws `InteropError.noTorchCounterpart` naming it.
    public func torchStateDict() throws -> (tensors: [String: Tensor], folds: [TorchOffsetFold]) {
        var tensors: [String: Tensor] = [:]
        for (name, parameter) in namedParameters { tensors[name] = parameter.maskedValue }
        for node in nodes {
            if let conv = node.layer as? Conv2D { tensors["\(node.name).weight"] = conv.denseWeight }
            guard let norm = node.layer as? BatchNorm2D else { continue }
            tensors["\(node.name).running_mean"] = Tensor(shape: [norm.channels], values: norm.runningMean)
            tensors["\(node.name).running_var"] = Tensor(shape: [norm.channels], values: norm.runningVariance)
        }
        var folds: [TorchOffsetFold] = []
        for node in nodes {
            guard let conv = node.layer as? Conv2D, let offset = conv.outputOffset else { continue }
            let name = "\(node.name).output_offset"
            let (values, target) = (offset.offsetInteriorValues, try offsetTarget(of: node, conv))
            let sign: Float = target.hasSuffix(".running_mean") ? -1 : 1
            guard var folded = tensors[target] else { preconditionFailure("GraphNetwork.torchStateDict: no '\(target)'") }
            for (channel, value) in values.enumerated() { folded.values[channel] += sign * value }
            tensors[target] = folded
            folds.append(TorchOffsetFold(offset: name, target: target, exact: offset.isUniformPerChannel))
        }
        return (tensors, folds)
    }

    /// The tensor a conv's offset folds into: its bias, or the running mean of its only reader
    /// when that is a BatchNorm.
    private func offsetTarget(of node: Node, _ conv: Conv2D) throws -> String {
        if conv.hasBias { return "\(node.name).bias" }
        let readers = specification.nodes.filter { $0.inputs.contains(node.name) }
        guard readers.count == 1, case .batchNorm = readers[0].operation else {
            throw InteropError.noTorchCounterpart(
                name: "\(node.name).output_offset",
                reason: "a conv without bias whose output is not read by one BatchNorm alone has no PyTorch tensor "
                    + "to fold its output offset into; export it as ONNX")
        }
        return "\(readers[0].name).running_mean"
    }

    /// Builds `specification` (same node names; widths as the tensors must have them) from a
    /// PyTorch state dict such as `torchStateDict` writes, checking every tensor as a
    /// checkpoint load does; `batchCounters` (the `num_batches_tracked` names
    /// `readTorchStateDict` set aside) must each belong to a BatchNorm node. `source` names
    /// the file in errors.
    public static func fromTorchStateDict(_ tensors: [String: Tensor], batchCounters: [String] = [],
                                          specification: GraphSpecification, source path: String) throws -> GraphNetwork {
        let batchNorms = Set(specification.nodes.filter {
            if case .batchNorm = $0.operation { return true }
            return false
        }.map(\.name))
        if let foreign = batchCounters.sorted().first(where: { !batchNorms.contains(String($0.dropLast(".num_batches_tracked".count))) }) {
            throw CheckpointError.architectureMismatch(path: path, reason: "tensor '\(foreign)' does not belong to the architecture "
                                                          + "(it names no BatchNorm)")
        }
        try checkFinite(tensors, path: path)
        return try restore(specification, tensors: tensors, source: path)
    }
}
