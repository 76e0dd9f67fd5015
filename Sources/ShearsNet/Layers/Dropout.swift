/// Inverted dropout (Srivastava et al. 2014): in training each value is zeroed with
/// probability `p` and the rest scaled by `1/(1 − p)`; evaluation is the identity.
///
/// The mask comes from a seeded generator, so a run is reproducible.
public final class Dropout: Layer {
    /// Probability `p` that a value is dropped in training, in `[0, 1)`.
    public let probability: Float
    private var rng: SeededGenerator
    private var scaleMask: [Float] = []

    /// Dropout with drop probability `probability`; masks come from a generator seeded with `seed`.
    public init(probability: Float, seed: UInt64) {
        precondition(probability >= 0 && probability < 1, "Dropout: probability \(probability) outside [0, 1)")
        self.probability = probability
        rng = SeededGenerator(seed: seed)
    }

    public func outputShape(for inputShape: [Int]) -> [Int] { inputShape }

    /// Output shaped as the input; in training draws a fresh mask per call, in evaluation returns `input`.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        guard training, probability > 0 else {
            scaleMask = []
            return input
        }
        let keepScale = 1 / (1 - probability)
        scaleMask = (0..<input.count).map { _ in rng.nextUnitFloat() < probability ? 0 : keepScale }
        var output = input
        for i in 0..<output.count { output.values[i] *= scaleMask[i] }
        return output
    }

    /// Returns `∂y` times the last forward's mask (`0` or `1/(1 − p)`), or `∂y` unchanged in evaluation.
    public func backward(_ outputGradient: Tensor) -> Tensor {
        guard !scaleMask.isEmpty else { return outputGradient }
        precondition(outputGradient.count == scaleMask.count, "Dropout.backward: \(outputGradient.shape)")
        var gradient = outputGradient
        for i in 0..<gradient.count { gradient.values[i] *= scaleMask[i] }
        return gradient
    }
}
