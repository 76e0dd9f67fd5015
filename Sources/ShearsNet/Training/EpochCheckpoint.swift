import Foundation

/// A training run's state after each epoch, written atomically so that a run killed at any
/// moment resumes from its last finished epoch and ends bit-identical to an uninterrupted one.
///
/// The file is a safetensors checkpoint: the model's tensors, SGD's momentum buffers as
/// `optimizer.<parameter>.velocity`, and in the metadata the recipe, the epochs done and the
/// history. The random state needs no saving: each epoch's shuffle is seeded by (seed, epoch)
/// (`Trainer.order`), and the model's initialisation is in its weights.
public struct EpochCheckpoint {
    /// The checkpoint file (the CLI's `<out>.resume`).
    public let path: String
    /// What made the run (flags, data size); a checkpoint with another recipe is refused.
    public let recipe: [String: String]

    static let epochsKey = "shears.resume.epochs_done", historyKey = "shears.resume.history"

    /// A checkpoint at `path` for the run described by `recipe`; nothing is read or written yet.
    public init(path: String, recipe: [String: String]) {
        self.path = path
        self.recipe = recipe
    }

    /// What resuming restores.
    public struct State<Model: CheckpointedNetwork> {
        /// The model as it was after `epochsDone` epochs.
        public let model: Model
        /// Epochs finished; training resumes at this 0-based epoch.
        public let epochsDone: Int
        /// One JSON object per epoch, as text: numbers parsed back from JSON do not always
        /// print the same digits again, so the history is kept as written.
        public let history: [String]
    }

    /// The saved state with `optimizer`'s buffers restored, or nil when there is no checkpoint.
    public func resume<Model: CheckpointedNetwork>(_ family: Model.Type, optimizer: SGD) throws -> State<Model>? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let file = try SafeTensorsFile.read(from: path)
        for (key, value) in recipe.sorted(by: { $0.key < $1.key }) where file.metadata[key] != value {
            throw CheckpointError.architectureMismatch(
                path: path, reason: "was written by another run ('\(key)' is \(file.metadata[key] ?? "missing"), now \(value)); "
                    + "delete it to start afresh")
        }
        guard let epochs = file.metadata[Self.epochsKey].flatMap(Int.init), epochs >= 1,
              let historyText = file.metadata[Self.historyKey],
              let history = try? JSONSerialization.jsonObject(with: Data(historyText.utf8)) as? [String],
              history.count == epochs else {
            throw CheckpointError.malformed(path: path, reason: "the resume metadata is missing or inconsistent")
        }
        let modelTensors = file.tensors.filter { !$0.key.hasPrefix("optimizer.") }
        let buffers = file.tensors.filter { $0.key.hasPrefix("optimizer.") }
        let (model, _) = try Model.load(SafeTensorsFile(tensors: modelTensors, metadata: file.metadata), path: path)
        var unused = Set(buffers.keys)
        for (name, parameter) in model.namedParameters {
            guard let velocity = buffers["optimizer.\(name).velocity"] else { continue }
            guard velocity.shape == parameter.value.shape else {
                throw CheckpointError.badTensor(path: path, tensor: "optimizer.\(name).velocity",
                                                reason: "has shape \(velocity.shape), the parameter \(parameter.value.shape)")
            }
            optimizer.setVelocity(velocity.values, of: parameter)
            unused.remove("optimizer.\(name).velocity")
        }
        if let extra = unused.sorted().first {
            throw CheckpointError.architectureMismatch(path: path, reason: "tensor '\(extra)' belongs to no parameter")
        }
        return State(model: model, epochsDone: epochs, history: history)
    }

    /// Writes the state after `epochsDone` epochs (atomically: the old state or the new).
    public func save(model: some CheckpointedNetwork, optimizer: SGD, epochsDone: Int, history: [String]) throws {
        var tensors = model.stateTensors
        for (name, parameter) in model.namedParameters {
            if let velocity = optimizer.velocity(of: parameter) {
                tensors["optimizer.\(name).velocity"] = Tensor(shape: parameter.value.shape, values: velocity)
            }
        }
        let historyText = String(decoding: try JSONSerialization.data(withJSONObject: history), as: UTF8.self)
        let metadata = recipe.merging(try model.architectureMetadata()) { $1 }
            .merging([Self.epochsKey: "\(epochsDone)", Self.historyKey: historyText]) { $1 }
        try SafeTensorsFile(tensors: tensors, metadata: metadata).write(to: path)
    }

    /// Deletes the checkpoint once the run's result is written.
    public func remove() throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        try FileManager.default.removeItem(atPath: path)
    }
}
