import Foundation
import ShearsNet

/// Which weights of a layer's weight tensor form each group at a granularity.
///
/// Weight layouts are PyTorch's: conv `F x C x kh x kw`, linear `out x in`. A group is
/// described by the flat indices of its weights; groups are numbered in row-major order of
/// their own coordinates (filter f; channel c; kernel (f, c); shape (c, ky, kx)).
public struct GroupLayout: Sendable {
    /// Groups are numbered `0..<groupCount`: `F·C·kh·kw` elements, `F` filters or neurons, `C` channels, `F·C` kernels,
    /// `C·kh·kw` shapes (the kept columns after shape pruning), or 1 layer.
    public let groupCount: Int
    /// Flat weight indices of group `g`.
    public let indices: @Sendable (Int) -> [Int]

    /// The layout of `granularity` on a weight of `shape` (4-D conv or 2-D linear), or nil when
    /// the granularity does not apply to that kind of layer.
    public init?(_ granularity: Granularity, weightShape shape: [Int]) {
        let isConv = shape.count == 4
        let (rows, columns) = (shape[0], shape.dropFirst().reduce(1, *))
        let kernel = isConv ? shape[2] * shape[3] : 1
        let channels = isConv ? shape[1] : shape.count == 2 ? shape[1] : 0
        switch granularity {
        case .element:
            groupCount = rows * columns
            indices = { [$0] }
        case .filter, .neuron:
            // Rows of a conv (4-D, or F x K' after shape pruning) or of a linear weight.
            groupCount = rows
            indices = { g in Array((g * columns)..<((g + 1) * columns)) }
        case .channel:
            guard isConv else { return nil }
            groupCount = channels
            indices = { c in
                var flat: [Int] = []
                for f in 0..<rows {
                    let start = f * columns + c * kernel
                    flat.append(contentsOf: start..<(start + kernel))
                }
                return flat
            }
        case .kernel:
            guard isConv else { return nil }
            groupCount = rows * channels
            indices = { g in Array((g * kernel)..<((g + 1) * kernel)) }
        case .shape:
            // A GEMM column: (c, ky, kx) of a dense conv, or one kept column after shape pruning.
            guard isConv || shape.count == 2 else { return nil }
            groupCount = columns
            indices = { column in (0..<rows).map { $0 * columns + column } }
        case .layer:
            groupCount = 1
            indices = { _ in Array(0..<(rows * columns)) }
        }
    }

    /// `groupNorm` of every group of `weight` (which this layout must describe): the l_p scores of element, kernel,
    /// shape and input-channel groups.
    public func norms(of weight: [Float], p: Double) -> [Double] {
        (0..<groupCount).map { groupNorm(weight, indices: indices($0), p: p) }
    }

    /// `Σ_{q∈group} w_q g_q` for every group (this layout must describe both `w` and `g`): with `g` a loss gradient,
    /// the first-order Taylor term of zeroing the group (Molchanov et al. 2019, eq. 7), which `taylor-weight` takes
    /// the magnitude of over the whole subset and `taylor-sq` squares per minibatch.
    public func weightGradientProducts(weight w: [Float], gradient g: [Float]) -> [Double] {
        (0..<groupCount).map { group in indices(group).reduce(0.0) { $0 + Double(w[$1]) * Double(g[$1]) } }
    }
}

/// l_p norm of a group of values: `(Σ|w|ᵖ)^(1/p)`; p = 0 counts non-zeros, p = ∞ is max |w|.
///
/// Li et al. 2017 ("Pruning Filters for Efficient ConvNets") use l1 of filters; Han et al.
/// 2015 use |w| of single weights; both are instances.
public func groupNorm(_ values: [Float], indices: [Int], p: Double) -> Double {
    if p == 0 { return Double(indices.reduce(0) { $0 + (values[$1] != 0 ? 1 : 0) }) }
    if p == .infinity { return indices.reduce(0.0) { max($0, Double(abs(values[$1]))) } }
    if p == 1 { return indices.reduce(0.0) { $0 + Double(abs(values[$1])) } }
    if p == 2 { return indices.reduce(0.0) { $0 + Double(values[$1]) * Double(values[$1]) }.squareRoot() }
    let sum = indices.reduce(0.0) { $0 + pow(Double(abs(values[$1])), p) }
    return pow(sum, 1 / p)
}
