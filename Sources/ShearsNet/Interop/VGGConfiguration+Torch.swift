/// VGG layouts read from PyTorch state dicts (`shears import --model vgg-s`).
extension VGGConfiguration {
    /// `layout`'s structure (its convolutions, pools, hidden layers, batch norm) with the
    /// widths a PyTorch state dict's shapes give, e.g. of a network trained in PyTorch (and
    /// perhaps pruned there). Each convolution must read the previous one's width with a 3x3
    /// kernel; every other shape, a missing tensor or a foreign one is checked by the
    /// checkpoint loader. `source` names the file in errors.
    public static func fromTorchShapes(_ tensors: [String: Tensor], layout: VGGConfiguration,
                                       source path: String) throws -> VGGConfiguration {
        func shape(of name: String, rank: Int) throws -> [Int] {
            guard let tensor = tensors[name] else {
                throw CheckpointError.architectureMismatch(path: path, reason: "tensor '\(name)' is missing")
            }
            guard tensor.shape.count == rank else {
                throw CheckpointError.architectureMismatch(
                    path: path, reason: "tensor '\(name)' has shape \(tensor.shape), expected \(rank) dimensions")
            }
            return tensor.shape
        }
        var configuration = layout
        var (position, channels) = (0, layout.inputChannels)
        for (index, item) in layout.features.enumerated() {
            guard case .conv = item else { position += 1; continue }
            let name = "features.\(position).weight"
            let weight = try shape(of: name, rank: 4)
            guard weight[1] == channels, weight[2] == 3, weight[3] == 3 else {
                throw CheckpointError.architectureMismatch(
                    path: path, reason: "tensor '\(name)' has shape \(weight), expected [F, \(channels), 3, 3]")
            }
            configuration.features[index] = .conv(weight[0])
            channels = weight[0]
            position += layout.batchNorm ? 3 : 2
        }
        for index in layout.hidden.indices {
            configuration.hidden[index] = try shape(of: "classifier.\(2 * index).weight", rank: 2)[0]
        }
        return configuration
    }
}
