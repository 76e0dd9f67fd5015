/// Sums over one contiguous plane of floats (a channel of one image), in eight interleaved
/// SIMD lanes.
///
/// A single running sum is one dependent add per element — its latency (~4 cycles), not the
/// adder's throughput, sets the pace — and cannot be vectorised without reordering; eight
/// independent lanes can. Conv bias gradients `∂b_f = Σ ∂y` and BatchNorm's statistics and
/// gradient sums run through these; the rounding differs from a sequential sum's within
/// float's error for a sum of `count` terms. Callers add the per-plane results in Double.
enum PlaneSums {
    /// `Σ_q plane[q]`.
    @inline(__always)
    static func sum(_ plane: UnsafePointer<Float>, count: Int) -> Float {
        reduce(count) { q in load(plane, q) } tail: { q in plane[q] }
    }

    /// `Σ_q (plane[q] − mean)²`: the centred second moment, which keeps the variance exact
    /// where `E[x²] − E[x]²` would cancel.
    @inline(__always)
    static func squaredDeviations(_ plane: UnsafePointer<Float>, count: Int, mean: Float) -> Float {
        let center = SIMD8<Float>(repeating: mean)
        return reduce(count) { q in
            let d = load(plane, q) - center
            return d * d
        } tail: { q in (plane[q] - mean) * (plane[q] - mean) }
    }

    /// `Σ_q g[q]·(x[q] − mean)`.
    @inline(__always)
    static func deviationProducts(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int, mean: Float) -> Float {
        let center = SIMD8<Float>(repeating: mean)
        return reduce(count) { q in load(g, q) * (load(x, q) - center) } tail: { q in g[q] * (x[q] - mean) }
    }

    @inline(__always)
    private static func load(_ p: UnsafePointer<Float>, _ q: Int) -> SIMD8<Float> {
        UnsafeRawPointer(p + q).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Adds `lanes(q)` for every full block of eight and `tail(q)` for the rest.
    @inline(__always)
    private static func reduce(_ count: Int, lanes: (Int) -> SIMD8<Float>, tail: (Int) -> Float) -> Float {
        var accumulator = SIMD8<Float>()
        var q = 0
        while q + 8 <= count {
            accumulator += lanes(q)
            q += 8
        }
        var total = accumulator.sum()
        while q < count {
            total += tail(q)
            q += 1
        }
        return total
    }
}
