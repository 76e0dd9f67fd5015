import Foundation

/// SplitMix64 (Steele, Lea & Flood 2014): a small, fast, seeded generator.
///
/// Every random choice in Shears (initialisation, shuffling, dropout, random pruning) draws
/// from one of these, so that a run is reproduced exactly by its seed.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose whole output sequence is fixed by `seed`; any value, 0 included, is a good seed.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform float in `[0, 1)` from the top 24 bits.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A standard normal sample by Box–Muller.
    public mutating func nextGaussian() -> Float {
        let u1 = max(nextUnitFloat(), .leastNormalMagnitude)
        let u2 = nextUnitFloat()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
