/// PyTorch's default initialisation for Linear and Conv2d (`kaiming_uniform_(a=√5)` on
/// weights, which reduces to U(−1/√fan_in, 1/√fan_in), and the same bound for biases).
///
/// The reference training recipe (`shared/reference/vgg-s.md`) assumes it.
func pytorchDefaultUniform(count: Int, fanIn: Int, rng: inout SeededGenerator) -> [Float] {
    let bound = 1 / Float(fanIn).squareRoot()
    return (0..<count).map { _ in (2 * rng.nextUnitFloat() - 1) * bound }
}
