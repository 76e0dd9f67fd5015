/// VGG networks as plain PyTorch state dicts: the tensors `torchvision`-style
/// `nn.Sequential` modules have, with no Shears-only state.
extension VGG {
    /// The state dict of the standard PyTorch module built with this model's (pruned) widths,
    /// loadable with `load_state_dict(strict=True)`: `features.<i>.weight|bias`,
    /// `classifier.<i>.weight|bias` (`shared/reference/vgg-s.md`), and for batch norm
    /// `features.<i>.weight|bias|running_mean|running_var` (`nn.BatchNorm2d`).
    ///
    /// Masks are applied and shape-pruned convolutions written densely, both exact. A
    /// folded `output_offset` has no PyTorch counterpart; it is folded into the conv's bias
    /// by its interior value (the centre position, away from the zero padding), which is
    /// exact inside and an approximation on the border rows and columns — the export
    /// command measures what that costs in accuracy.
    public func torchStateDict() throws -> [String: Tensor] {
        var tensors: [String: Tensor] = [:]
        for (position, layer) in features.layers.enumerated() {
            let name = "features.\(position)"
            if let conv = layer as? Conv2D {
                tensors[name + ".weight"] = conv.denseWeight
                var bias = conv.bias.value
                if let offset = conv.outputOffset {
                    for (channel, value) in offset.offsetInteriorValues.enumerated() { bias.values[channel] += value }
                }
                tensors[name + ".bias"] = bias
            } else if let norm = layer as? BatchNorm2D {
                // `num_batches_tracked` is not written: for a state dict without `_metadata`
                // BatchNorm's loader fills it in (see `GraphNetwork.torchStateDict`).
                tensors[name + ".weight"] = norm.weight.value
                tensors[name + ".bias"] = norm.bias.value
                tensors[name + ".running_mean"] = Tensor(shape: [norm.channels], values: norm.runningMean)
                tensors[name + ".running_var"] = Tensor(shape: [norm.channels], values: norm.runningVariance)
            }
        }
        for (position, layer) in classifier.layers.enumerated() {
            guard let linear = layer as? Linear else { continue }
            tensors["classifier.\(position).weight"] = linear.weight.maskedValue
            tensors["classifier.\(position).bias"] = linear.bias.value
        }
        return tensors
    }

    /// Builds a model of `layout`'s structure from a PyTorch state dict, with the widths the
    /// tensors' shapes give (`VGGConfiguration.fromTorchShapes`). `source` names the file in errors.
    public static func fromTorchStateDict(_ tensors: [String: Tensor], layout: VGGConfiguration,
                                          source path: String) throws -> VGG {
        try restore(try VGGConfiguration.fromTorchShapes(tensors, layout: layout, source: path), tensors: tensors, source: path)
    }
}
