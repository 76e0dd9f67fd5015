/// Inference with BatchNorm folded into the convs before it: the deployment form, which skips
/// BatchNorm's pass over every activation.
extension GraphNetwork {
    /// A copy in which every BatchNorm whose input is a conv that nothing else reads is folded
    /// into that conv with its running statistics (evaluation mode), and leaves the graph:
    ///
    ///     s_f = γ_f / √(σ²_f + ε),   W'[f] = s_f · W[f],   b'[f] = s_f · (b[f] − μ_f) + β_f,
    ///
    /// and an `output_offset` O (folded constants of pruned inputs) becomes `s_f · O[f]`, since
    /// BatchNorm in evaluation mode is the affine map `y = s · (x − μ) + β` per channel (Ioffe &
    /// Szegedy 2015, Algorithm 2, step 11). The folded convs have a bias, so the copy saves,
    /// exports and evaluates like any graph; it computes the same logits up to rounding
    /// (`GraphFoldingTests`). Training it would train a different model: BatchNorm is gone.
    public func foldingBatchNorms() throws -> GraphNetwork {
        var tensors = stateTensors
        var specification = self.specification
        var folded: [Int: Int] = [:]  // BatchNorm node -> conv node
        for (index, node) in nodes.enumerated() {
            guard let norm = node.layer as? BatchNorm2D, node.inputs.count == 1, node.inputs[0] >= 0,
                  let conv = nodes[node.inputs[0]].layer as? Conv2D,
                  nodes.indices.filter({ nodes[$0].inputs.contains(node.inputs[0]) }) == [index] else { continue }
            let convName = nodes[node.inputs[0]].name
            let scale = (0..<norm.channels).map { norm.weight.value.values[$0] / (norm.runningVariance[$0] + norm.epsilon).squareRoot() }
            var weight = conv.weight.value
            let row = weight.itemSize
            for f in 0..<norm.channels { for i in (f * row)..<((f + 1) * row) { weight.values[i] *= scale[f] } }
            tensors["\(convName).weight"] = weight
            tensors["\(convName).bias"] = Tensor(shape: [norm.channels], values: (0..<norm.channels).map { f in
                scale[f] * (conv.bias.value.values[f] - norm.runningMean[f]) + norm.bias.value.values[f]
            })
            if var offset = conv.outputOffset {
                let plane = offset.itemSize
                for f in 0..<norm.channels { for i in (f * plane)..<((f + 1) * plane) { offset.values[i] *= scale[f] } }
                tensors["\(convName).output_offset"] = offset
            }
            for suffix in ["weight", "bias", "running_mean", "running_var"] { tensors["\(node.name).\(suffix)"] = nil }
            guard case let .convolution(inChannels, outChannels, kernelSize, stride, padding, _) = specification.nodes[node.inputs[0]].operation else {
                preconditionFailure("foldingBatchNorms: node \(convName) holds a Conv2D but is not a convolution")
            }
            specification.nodes[node.inputs[0]].operation = .convolution(inChannels: inChannels, outChannels: outChannels,
                                                                          kernelSize: kernelSize, stride: stride, padding: padding, bias: true)
            folded[index] = node.inputs[0]
        }
        let renamed = Dictionary(uniqueKeysWithValues: folded.map { (nodes[$0.key].name, nodes[$0.value].name) })
        specification.nodes = specification.nodes.indices.filter { folded[$0] == nil }.map { index in
            var node = specification.nodes[index]
            node.inputs = node.inputs.map { renamed[$0] ?? $0 }
            return node
        }
        return try Self.restore(specification, tensors: tensors, source: "foldingBatchNorms")
    }
}
