import Foundation

/// Checkpoints written by the VGG class of earlier versions: tensors named as PyTorch's
/// `nn.Sequential` VGG (`features.<i>`, `classifier.<i>`) and the configuration as JSON under
/// `shears.architecture`. `GraphNetwork.load` reads them as the graph of that configuration
/// (`VGGConfiguration.graph`), whose node names are those tensor names.
extension VGGConfiguration {
    /// The metadata key under which a VGG checkpoint stores its configuration JSON; its presence marks one.
    public static let architectureKey = "shears.architecture"

    /// The architecture a VGG checkpoint describes, refused (without allocating a model) when
    /// it is missing, invalid, larger than the file's values, or the values are not finite.
    static func stored(in file: SafeTensorsFile, path: String) throws -> VGGConfiguration {
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
    private static func checkBeforeBuilding(_ configuration: VGGConfiguration, _ tensors: [String: Tensor], path: String) throws {
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
}
