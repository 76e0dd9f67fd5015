/// `Σ_q plane[q]` over `count` contiguous floats, in eight interleaved partial sums.
///
/// A single running float sum is one dependent add per element (its latency, ~4 cycles, not
/// its throughput, sets the pace) and cannot be vectorised without reordering; eight
/// independent SIMD lanes can. Bias gradients `∂b_f = Σ ∂y` of every conv run through it; its
/// rounding differs from the sequential sum's within float's error of a sum of `count` terms.
@inline(__always)
func planeSum(_ plane: UnsafePointer<Float>, count: Int) -> Float {
    var lanes = SIMD8<Float>()
    var q = 0
    while q + 8 <= count {
        lanes += UnsafeRawPointer(plane + q).loadUnaligned(as: SIMD8<Float>.self)
        q += 8
    }
    var sum = lanes.sum()
    while q < count {
        sum += plane[q]
        q += 1
    }
    return sum
}
