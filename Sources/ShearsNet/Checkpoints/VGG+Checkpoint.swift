import Foundation

/// VGG models as safetensors checkpoints, PyTorch-compatible.
///
/// Tensors: `features.<i>.weight|bias` and `classifier.<i>.weight|bias` in PyTorch layouts,
/// BatchNorm state as `features.<i>.running_mean|running_var`, and pruning masks as
/// `<layer>.weight_mask` (the names `torch.nn.utils.prune` uses). The architecture, with its
/// actual (possibly pruned) widths, is JSON in the metadata under `shears.architecture`, so a
/// pruned model reloads at its new shapes.
extension VGG {
    public static let architectureKey = "shears.architecture"

    /// Every tensor of the model by checkpoint name.
    public var stateTensors: [String: Tensor] {
        var tensors: [String: Tensor] = [:]
        for (name, parameter) in namedParameters {
            tensors[name] = parameter.value
            if let mask = parameter.mask { tensors[name + "_mask"] = Tensor(shape: parameter.value.shape, values: mask) }
        }
        for (position, layer) in features.layers.enumerated() {
            guard let norm = layer as? BatchNorm2D else { continue }
            tensors["features.\(position).running_mean"] = Tensor(shape: [norm.channels], values: norm.runningMean)
            tensors["features.\(position).running_var"] = Tensor(shape: [norm.channels], values: norm.runningVariance)
        }
        return tensors
    }

    /// Writes the model atomically; `metadata` travels with it (seed, recipe, versions).
    public func save(to path: String, metadata: [String: String] = [:]) throws {
        let architecture = String(decoding: try JSONEncoder().encode(configuration), as: UTF8.self)
        try SafeTensorsFile(tensors: stateTensors, metadata: metadata.merging([Self.architectureKey: architecture]) { $1 })
            .write(to: path)
    }

    /// Rebuilds a model from a checkpoint written by `save`, checking every tensor's shape.
    public static func load(from path: String) throws -> (model: VGG, metadata: [String: String]) {
        let file = try SafeTensorsFile.read(from: path)
        guard let json = file.metadata[architectureKey] else {
            throw CheckpointError.architectureMismatch(path: path, reason: "no '\(architectureKey)' in the metadata")
        }
        let configuration: VGGConfiguration
        do {
            configuration = try JSONDecoder().decode(VGGConfiguration.self, from: Data(json.utf8))
        } catch {
            throw CheckpointError.architectureMismatch(path: path, reason: "'\(architectureKey)' is not a valid architecture: \(error)")
        }
        let model = VGG(configuration, seed: 0)
        var unused = Set(file.tensors.keys)
        func take(_ name: String, shape: [Int]) throws -> Tensor {
            guard let tensor = file.tensors[name] else {
                throw CheckpointError.architectureMismatch(path: path, reason: "tensor '\(name)' is missing")
            }
            guard tensor.shape == shape else {
                throw CheckpointError.architectureMismatch(path: path, reason: "tensor '\(name)' has shape \(tensor.shape), the architecture needs \(shape)")
            }
            unused.remove(name)
            return tensor
        }
        for (name, parameter) in model.namedParameters {
            parameter.value = try take(name, shape: parameter.value.shape)
            if file.tensors[name + "_mask"] != nil {
                parameter.mask = try take(name + "_mask", shape: parameter.value.shape).values
            }
        }
        for (position, layer) in model.features.layers.enumerated() {
            guard let norm = layer as? BatchNorm2D else { continue }
            norm.runningMean = try take("features.\(position).running_mean", shape: [norm.channels]).values
            norm.runningVariance = try take("features.\(position).running_var", shape: [norm.channels]).values
        }
        if let extra = unused.sorted().first {
            throw CheckpointError.architectureMismatch(path: path, reason: "tensor '\(extra)' does not belong to the architecture")
        }
        return (model, file.metadata)
    }
}
