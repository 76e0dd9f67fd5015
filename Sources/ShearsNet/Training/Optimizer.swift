/// Updates parameters from their accumulated gradients.
///
/// State (momentum, moments) is keyed by `Parameter` identity, so a layer whose parameter
/// is replaced by structural pruning starts that parameter's state afresh.
public protocol Optimizer: AnyObject {
    /// Step size; callers change it between epochs or steps to follow a schedule.
    var learningRate: Float { get set }
    /// Updates each parameter from its accumulated gradient, then re-applies its mask so pruned weights stay zero.
    func step(_ parameters: [Parameter])
}

extension SGD: Optimizer {}
