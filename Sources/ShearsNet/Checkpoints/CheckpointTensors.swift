/// The tensors of a checkpoint being restored into a model: each taken once with its shape
/// checked, masks checked to hold only 0 and 1, and any tensor left over refused, so that a
/// file that does not fit its architecture is named, never half-loaded.
struct CheckpointTensors {
    let tensors: [String: Tensor]
    /// Names the file in errors.
    let path: String
    private var unused: Set<String>

    init(_ tensors: [String: Tensor], path: String) {
        (self.tensors, self.path, unused) = (tensors, path, Set(tensors.keys))
    }

    func contains(_ name: String) -> Bool { tensors[name] != nil }

    /// The tensor `name`, which must exist with `shape`.
    mutating func take(_ name: String, shape: [Int]) throws -> Tensor {
        guard let tensor = tensors[name] else {
            throw CheckpointError.architectureMismatch(path: path, reason: "tensor '\(name)' is missing")
        }
        guard tensor.shape == shape else {
            throw CheckpointError.architectureMismatch(path: path, reason: "tensor '\(name)' has shape \(tensor.shape), the architecture needs \(shape)")
        }
        unused.remove(name)
        return tensor
    }

    /// Marks `name` as used by the caller, who checked it itself.
    mutating func markUsed(_ name: String) { unused.remove(name) }

    /// Fills `parameter` (named `name`) and its optional `<name>_mask`.
    mutating func fill(_ parameter: Parameter, named name: String) throws {
        parameter.value = try take(name, shape: parameter.value.shape)
        guard contains(name + "_mask") else { return }
        let mask = try take(name + "_mask", shape: parameter.value.shape).values
        guard mask.allSatisfy({ $0 == 0 || $0 == 1 }) else {
            throw CheckpointError.badTensor(path: path, tensor: name + "_mask", reason: "a mask must hold only 0 and 1")
        }
        parameter.mask = mask
    }

    /// Refuses the first tensor (by name) that no part of the model took.
    func refuseLeftovers() throws {
        if let extra = unused.sorted().first {
            throw CheckpointError.architectureMismatch(path: path, reason: "tensor '\(extra)' does not belong to the architecture")
        }
    }
}
