import Foundation

/// VGG models as safetensors checkpoints, PyTorch-compatible.
///
/// Tensors: `features.<i>.weight|bias` and `classifier.<i>.weight|bias` in PyTorch layouts,
/// BatchNorm state as `features.<i>.running_mean|running_var`, and pruning masks as
/// `<layer>.weight_mask` (the names `torch.nn.utils.prune` uses). Two pruning states have no
/// PyTorch counterpart: a shape-pruned conv stores its weight as `F x K'` with the kept im2col
/// rows in `features.<i>.patch_rows`, and folded constants of removed producers live in
/// `features.<i>.output_offset` (`F x Ho x Wo`). The architecture, with its
/// actual (possibly pruned) widths, is JSON in the metadata under `shears.architecture`, so a
/// pruned model reloads at its new shapes.
extension VGG: CheckpointedNetwork {
    /// The metadata key under which the `VGGConfiguration` JSON is stored; its presence marks a VGG checkpoint.
    public static let architectureKey = "shears.architecture"

    /// Every tensor of the model by checkpoint name.
    public var stateTensors: [String: Tensor] {
        var tensors: [String: Tensor] = [:]
        for (name, parameter) in namedParameters {
            tensors[name] = parameter.value
            if let mask = parameter.mask { tensors[name + "_mask"] = Tensor(shape: parameter.value.shape, values: mask) }
        }
        for (position, conv) in convolutions {
            if let rows = conv.patchRowsTensor { tensors["features.\(position).patch_rows"] = rows }
            if let offset = conv.outputOffset { tensors["features.\(position).output_offset"] = offset }
        }
        for (position, layer) in features.layers.enumerated() {
            guard let norm = layer as? BatchNorm2D else { continue }
            tensors["features.\(position).running_mean"] = Tensor(shape: [norm.channels], values: norm.runningMean)
            tensors["features.\(position).running_var"] = Tensor(shape: [norm.channels], values: norm.runningVariance)
        }
        return tensors
    }

    public func architectureMetadata() throws -> [String: String] {
        // Sorted keys: otherwise the order follows the per-process hash seed, and the same
        // model would be written as different bytes by different runs.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return [Self.architectureKey: String(decoding: try encoder.encode(configuration), as: UTF8.self)]
    }

    public static func load(_ file: SafeTensorsFile, path: String) throws -> (model: VGG, metadata: [String: String]) {
        let configuration = try configuration(in: file, path: path)
        return (try restore(configuration, tensors: file.tensors, source: path), file.metadata)
    }

    /// The architecture a VGG checkpoint describes, refused (without allocating a model) when
    /// it is missing, invalid, larger than the file's values, or the values are not finite.
    static func configuration(in file: SafeTensorsFile, path: String) throws -> VGGConfiguration {
        guard let json = file.metadata[architectureKey] else {
            throw CheckpointError.architectureMismatch(path: path, reason: "no '\(architectureKey)' in the metadata")
        }
        let configuration: VGGConfiguration
        do {
            configuration = try JSONDecoder().decode(VGGConfiguration.self, from: Data(json.utf8))
        } catch {
            throw CheckpointError.architectureMismatch(path: path, reason: "'\(architectureKey)' is not a valid architecture: "
                                                          + describe(decodingError: error))
        }
        try checkBeforeBuilding(configuration, file.tensors, path: path)
        return configuration
    }

    /// What can be refused without allocating a model: an architecture out of bounds or
    /// larger than the file's values, and values that are not finite numbers.
    static func checkBeforeBuilding(_ configuration: VGGConfiguration, _ tensors: [String: Tensor], path: String) throws {
        if let problem = configuration.problem {
            throw CheckpointError.architectureMismatch(path: path, reason: "'\(architectureKey)': \(problem)")
        }
        // Only allocations far beyond the file are stopped here (a missing or misshapen tensor is
        // named by `restore`); shape-pruned convs store fewer weights than the dense layer has.
        let values = tensors.values.reduce(0) { $0 + $1.count }
        if !tensors.keys.contains(where: { $0.hasSuffix(".patch_rows") }), let dense = configuration.denseParameterCount,
           dense > 2 * values + 65_536 {
            throw CheckpointError.architectureMismatch(
                path: path, reason: "'\(architectureKey)' describes \(dense) parameters, the file holds \(values) values")
        }
        try checkFinite(tensors, path: path)
    }

    /// An independent copy with the same architecture, weights, masks and pruning state.
    public func copy() -> VGG {
        do {
            return try Self.restore(configuration, tensors: stateTensors, source: "copy")
        } catch {
            preconditionFailure("VGG.copy: a model's own state does not restore: \(error)")
        }
    }

    /// Builds the model `configuration` describes and fills it from `tensors` (named as in a
    /// checkpoint), checking every shape; `source` names them in errors.
    static func restore(_ configuration: VGGConfiguration, tensors: [String: Tensor], source path: String) throws -> VGG {
        let model = VGG(configuration, seed: 0)
        var file = CheckpointTensors(tensors, path: path)
        for (position, conv) in model.convolutions {
            try file.restorePatchRows(of: conv, named: "features.\(position).patch_rows")
        }
        for (name, parameter) in model.namedParameters { try file.fill(parameter, named: name) }
        for (position, conv) in model.convolutions {
            let name = "features.\(position).output_offset"
            guard file.contains(name) else { continue }
            let size = model.featureInputSize(at: position)
            conv.outputOffset = try file.take(name, shape: Array(conv.outputShape(for: [1, conv.inChannels, size, size]).dropFirst()))
        }
        for (position, layer) in model.features.layers.enumerated() {
            guard let norm = layer as? BatchNorm2D else { continue }
            norm.runningMean = try file.take("features.\(position).running_mean", shape: [norm.channels]).values
            norm.runningVariance = try file.take("features.\(position).running_var", shape: [norm.channels]).values
        }
        try file.refuseLeftovers()
        return model
    }
}

/// A decoding error as the key path and what is wrong with it, on one line.
func describe(decodingError error: Error) -> String {
    func path(_ context: DecodingError.Context) -> String {
        let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return keys.isEmpty ? "the top level" : String(keys.drop { $0 == "." })
    }
    switch error as? DecodingError {
    case let .typeMismatch(type, context)?: return "\(path(context)) must be \(type == Int.self ? "an integer" : "\(type)")"
    case let .valueNotFound(_, context)?: return "\(path(context)) is missing"
    case let .keyNotFound(key, context)?: return "\(path(context)).\(key.stringValue) is missing"
    case let .dataCorrupted(context)?: return "\(path(context)): \(context.debugDescription)"
    default: return "\(error)"
    }
}
