/// A network that writes itself to a safetensors checkpoint and rebuilds from one: what
/// training, resuming and evaluation need from a model, whatever its family.
public protocol CheckpointedNetwork: Layer {
    /// `(name, parameter)` in checkpoint order, with PyTorch's names.
    var namedParameters: [(String, Parameter)] { get }
    /// Every tensor of the model by checkpoint name: parameters, masks and state.
    var stateTensors: [String: Tensor] { get }
    /// The metadata entries that describe the architecture (JSON under one key).
    func architectureMetadata() throws -> [String: String]
    /// Rebuilds a model from a decoded checkpoint, checking every tensor; `path` names it in errors.
    static func load(_ file: SafeTensorsFile, path: String) throws -> (model: Self, metadata: [String: String])
}

extension CheckpointedNetwork {
    /// Writes the model atomically; `metadata` travels with it (seed, recipe, versions).
    public func save(to path: String, metadata: [String: String] = [:]) throws {
        try SafeTensorsFile(tensors: stateTensors, metadata: metadata.merging(architectureMetadata()) { $1 }).write(to: path)
    }

    /// Rebuilds a model from a checkpoint written by `save`.
    public static func load(from path: String) throws -> (model: Self, metadata: [String: String]) {
        try load(SafeTensorsFile.read(from: path), path: path)
    }

    /// Zeroes every parameter's gradient, as the caller must before accumulating a new batch.
    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGradient() }
    }
}

/// Refuses tensors holding NaN or infinities, naming the first such tensor.
func checkFinite(_ tensors: [String: Tensor], path: String) throws {
    for (name, tensor) in tensors.sorted(by: { $0.key < $1.key }) {
        let bad = tensor.values.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
        guard bad == 0 else { throw CheckpointError.nonFinite(path: path, tensor: name, count: bad, total: tensor.count) }
    }
}
