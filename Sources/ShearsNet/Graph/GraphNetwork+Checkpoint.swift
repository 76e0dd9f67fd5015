import Foundation

/// Graph networks as safetensors checkpoints: `<node>.weight|bias` in PyTorch layouts,
/// BatchNorm state as `<node>.running_mean|running_var`, masks as `<node>.weight_mask`, the
/// folded constants of removed producers as `<node>.output_offset` (`F x Ho x Wo`), a
/// shape-pruned conv's weight as `F x K'` with its kept im2col rows in `<node>.patch_rows` (as
/// VGG checkpoints store them), and the specification as JSON under `shears.graph`. PyTorch's `num_batches_tracked` is not
/// written (its loader fills it in), so a resnet-s file loads with `strict=True`.
extension GraphNetwork: CheckpointedNetwork {
    /// The metadata key under which the `GraphSpecification` JSON is stored; its presence marks a graph
    /// checkpoint.
    public static let architectureKey = "shears.graph"

    public var stateTensors: [String: Tensor] {
        var tensors: [String: Tensor] = [:]
        for (name, parameter) in namedParameters {
            tensors[name] = parameter.value
            if let mask = parameter.mask { tensors[name + "_mask"] = Tensor(shape: parameter.value.shape, values: mask) }
        }
        for node in nodes {
            if let offset = (node.layer as? Conv2D)?.outputOffset { tensors["\(node.name).output_offset"] = offset }
            if let rows = (node.layer as? Conv2D)?.patchRowsTensor { tensors["\(node.name).patch_rows"] = rows }
            guard let norm = node.layer as? BatchNorm2D else { continue }
            tensors["\(node.name).running_mean"] = Tensor(shape: [norm.channels], values: norm.runningMean)
            tensors["\(node.name).running_var"] = Tensor(shape: [norm.channels], values: norm.runningVariance)
        }
        return tensors
    }

    /// Trainable values plus every conv's folded `output_offset`: what the model stores and
    /// computes with besides BatchNorm's running statistics (the count `info` and `prune` show).
    public var parameterCountWithOffsets: Int {
        parameters.reduce(0) { $0 + $1.value.count } + nodes.reduce(0) { $0 + ((($1.layer as? Conv2D)?.outputOffset?.count) ?? 0) }
    }

    public func architectureMetadata() throws -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return [Self.architectureKey: String(decoding: try encoder.encode(specification), as: UTF8.self)]
    }

    /// Reads a graph checkpoint, or a VGG checkpoint (`shears.architecture`) as the graph of its
    /// configuration (`VGGConfiguration.graph`): the node names are its tensor names.
    public static func load(_ file: SafeTensorsFile, path: String) throws -> (model: GraphNetwork, metadata: [String: String]) {
        if file.metadata[architectureKey] == nil, file.metadata[VGGConfiguration.architectureKey] != nil {
            let configuration = try VGGConfiguration.stored(in: file, path: path)
            return (try restore(configuration.graph, tensors: file.tensors, source: path), file.metadata)
        }
        guard let json = file.metadata[architectureKey] else {
            throw CheckpointError.architectureMismatch(path: path, reason: "no '\(architectureKey)' in the metadata")
        }
        let specification: GraphSpecification
        do {
            specification = try JSONDecoder().decode(GraphSpecification.self, from: Data(json.utf8))
        } catch {
            throw CheckpointError.architectureMismatch(path: path, reason: "'\(architectureKey)' is not a valid graph: "
                                                          + describe(decodingError: error))
        }
        if let problem = specification.problem {
            throw CheckpointError.architectureMismatch(path: path, reason: "'\(architectureKey)': \(problem)")
        }
        // Only allocations far beyond the file are stopped here. A shape-pruned conv (one with
        // `<node>.patch_rows`) stores as few as one weight column, so its dense weights are not
        // expected in the file; everything else is.
        let values = file.tensors.values.reduce(0) { $0 + $1.count }
        let expected = specification.parameterCount - specification.nodes.reduce(0) { total, node in
            guard case let .convolution(c, k, size, _, _, _) = node.operation,
                  file.tensors["\(node.name).patch_rows"] != nil else { return total }
            return total + c * k * size * size
        }
        guard expected <= 2 * values + 65_536 else {
            throw CheckpointError.architectureMismatch(
                path: path, reason: "'\(architectureKey)' describes \(specification.parameterCount) parameters, the file holds \(values) values")
        }
        try checkFinite(file.tensors, path: path)
        return (try restore(specification, tensors: file.tensors, source: path), file.metadata)
    }

    /// An independent copy with the same graph, weights, masks and state.
    public func copy() -> GraphNetwork {
        do {
            return try Self.restore(specification, tensors: stateTensors, source: "copy")
        } catch {
            preconditionFailure("GraphNetwork.copy: a model's own state does not restore: \(error)")
        }
    }

    /// Builds `specification` and fills it from `tensors`, checking every shape and refusing
    /// missing and unknown tensors; `source` names them in errors.
    static func restore(_ specification: GraphSpecification, tensors: [String: Tensor], source path: String) throws -> GraphNetwork {
        let model = try GraphNetwork(specification, seed: 0)
        var file = CheckpointTensors(tensors, path: path)
        for node in model.nodes {
            guard let conv = node.layer as? Conv2D else { continue }
            try file.restorePatchRows(of: conv, named: "\(node.name).patch_rows")
        }
        for (name, parameter) in model.namedParameters { try file.fill(parameter, named: name) }
        for (node, shape) in zip(model.nodes, model.nodeShapes) {
            if let conv = node.layer as? Conv2D, file.contains("\(node.name).output_offset") {
                conv.outputOffset = try file.take("\(node.name).output_offset", shape: Array(shape.dropFirst()))
            }
            guard let norm = node.layer as? BatchNorm2D else { continue }
            norm.runningMean = try file.take("\(node.name).running_mean", shape: [norm.channels]).values
            norm.runningVariance = try file.take("\(node.name).running_var", shape: [norm.channels]).values
            guard norm.runningVariance.allSatisfy({ $0 >= 0 }) else {
                throw CheckpointError.badTensor(path: path, tensor: "\(node.name).running_var", reason: "a variance cannot be negative")
            }
        }
        try file.refuseLeftovers()
        return model
    }
}
