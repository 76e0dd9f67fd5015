import ShearsNet

/// Every value a model's checkpoint stores, by kind, so that the parameter count can be
/// reconciled with the file: `parameters` are the values the network computes with
/// (weights, biases, BatchNorm scales and shifts, folded output offsets) and equal
/// `ModelCost.parameters`; masks, shape-pruning row lists and BatchNorm running statistics
/// are stored too but are structure or state.
public struct StoredValues: Equatable, Sendable {
    /// Values the network computes with (every tensor not counted below); equals `ModelCost.parameters`.
    public let parameters: Int
    /// Entries of the `<layer>.weight_mask` tensors (0 or 1, shaped as the weight they mask).
    public let masks: Int
    /// Entries of the `features.<i>.patch_rows` tensors: the kept im2col rows of shape-pruned convs.
    public let patchRows: Int
    /// Entries of BatchNorm's `running_mean` and `running_var`: state, not trained parameters.
    public let runningStatistics: Int
    /// Number of named tensors the checkpoint holds.
    public let tensors: Int

    /// Every stored value: parameters, masks, patch rows and running statistics.
    public var total: Int { parameters + masks + patchRows + runningStatistics }

    /// Counts the tensors `model` writes to a checkpoint (`VGG.stateTensors`), sorted by their name's suffix.
    public init(_ model: VGG) {
        var (parameters, masks, patchRows, runningStatistics) = (0, 0, 0, 0)
        let stored = model.stateTensors
        for (name, tensor) in stored {
            if name.hasSuffix("_mask") {
                masks += tensor.count
            } else if name.hasSuffix(".patch_rows") {
                patchRows += tensor.count
            } else if name.hasSuffix(".running_mean") || name.hasSuffix(".running_var") {
                runningStatistics += tensor.count
            } else {
                parameters += tensor.count
            }
        }
        (self.parameters, self.masks, self.patchRows, self.runningStatistics) = (parameters, masks, patchRows, runningStatistics)
        tensors = stored.count
    }
}
