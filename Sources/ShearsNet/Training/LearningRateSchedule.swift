import Foundation

/// Learning rate as a pure function of the epoch (0-based) and the run's length.
public enum LearningRateSchedule: Equatable, Sendable, Codable {
    /// The base rate throughout.
    case constant
    /// Multiplied by `factor` every `every` epochs (PyTorch `StepLR`).
    case step(every: Int, factor: Double)
    /// Cosine from the base rate to 0 over the run (Loshchilov & Hutter 2017, no restarts):
    /// `lr = base · (1 + cos(π · epoch / epochs)) / 2`.
    case cosine

    /// The learning rate for 0-based `epoch` of `epochs`, given the `base` rate.
    public func rate(base: Double, epoch: Int, epochs: Int) -> Double {
        switch self {
        case .constant:
            return base
        case let .step(every, factor):
            return base * pow(factor, Double(epoch / max(1, every)))
        case .cosine:
            return base * (1 + cos(Double.pi * Double(epoch) / Double(max(1, epochs)))) / 2
        }
    }
}
