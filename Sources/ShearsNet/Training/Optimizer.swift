/// Updates parameters from their accumulated gradients.
///
/// State (momentum, moments) is keyed by `Parameter` identity, so a layer whose parameter
/// is replaced by structural pruning starts that parameter's state afresh.
public protocol Optimizer: AnyObject {
    var learningRate: Float { get set }
    func step(_ parameters: [Parameter])
}

extension SGD: Optimizer {}
