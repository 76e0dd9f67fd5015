import ShearsNet

/// Every value a model's checkpoint stores, by kind, so that the parameter count can be
/// reconciled with the file: `parameters` are the values the network computes with
/// (weights, biases, BatchNorm scales and shifts, folded output offsets) and equal
/// `ModelCost.parameters`; masks, shape-pruning row lists and BatchNorm running statistics
/// are stored too but are structure or state.
public struct StoredValues: Equatable, Sendable {
    public let parameters: Int
    public let masks: Int
    public let patchRows: Int
    public let runningStatistics: Int
    public let tensors: Int

    public var total: Int { parameters + masks + patchRows + runningStatistics }

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
