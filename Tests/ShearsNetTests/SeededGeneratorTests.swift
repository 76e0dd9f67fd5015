import ShearsNet
import Testing

@Suite("Seeded generator")
struct SeededGeneratorTests {
    @Test("the same seed gives the same stream, another seed another")
    func reproducible() {
        var a = SeededGenerator(seed: 7), b = SeededGenerator(seed: 7), c = SeededGenerator(seed: 8)
        let first = (0..<5).map { _ in a.next() }
        #expect(first == (0..<5).map { _ in b.next() })
        #expect(first != (0..<5).map { _ in c.next() })
    }

    @Test("uniform and Gaussian samples have the right moments")
    func moments() {
        var rng = SeededGenerator(seed: 1)
        let n = 200_000
        var uniformSum = 0.0, gaussSum = 0.0, gaussSquares = 0.0
        for _ in 0..<n {
            let u = rng.nextUnitFloat()
            #expect(u >= 0 && u < 1)
            uniformSum += Double(u)
            let g = Double(rng.nextGaussian())
            gaussSum += g
            gaussSquares += g * g
        }
        // Standard errors: 0.29/√n ≈ 6.5e-4 for the uniform mean, 1/√n ≈ 2.2e-3 for the Gaussian's.
        #expect(abs(uniformSum / Double(n) - 0.5) < 4e-3)
        #expect(abs(gaussSum / Double(n)) < 1e-2)
        #expect(abs(gaussSquares / Double(n) - 1) < 2e-2)
    }
}
