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
    /// Group `g` is `runCount` runs of `runLength` consecutive flat indices, run `r` starting at
    /// `g·groupStride + r·runStride`: every granularity's groups have this form, so a group's
    /// indices are walked without building an array (an element granularity has one group per weight).
    let groupStride: Int, runLength: Int, runCount: Int, runStride: Int

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
            (groupStride, runLength, runCount, runStride) = (1, 1, 1, 0)
        case .filter, .neuron:
            // Rows of a conv (4-D, or F x K' after shape pruning) or of a linear weight.
            groupCount = rows
            (groupStride, runLength, runCount, runStride) = (columns, columns, 1, 0)
        case .channel:
            // Channel c: its kernel in every filter.
            guard isConv else { return nil }
            groupCount = channels
            (groupStride, runLength, runCount, runStride) = (kernel, kernel, rows, columns)
        case .kernel:
            guard isConv else { return nil }
            groupCount = rows * channels
            (groupStride, runLength, runCount, runStride) = (kernel, kernel, 1, 0)
        case .shape:
            // A GEMM column: (c, ky, kx) of a dense conv, or one kept column after shape pruning.
            guard isConv || shape.count == 2 else { return nil }
            groupCount = columns
            (groupStride, runLength, runCount, runStride) = (1, 1, rows, columns)
        case .layer:
            groupCount = 1
            (groupStride, runLength, runCount, runStride) = (0, rows * columns, 1, 0)
        }
    }

    /// Weights in every group.
    public var groupSize: Int { runLength * runCount }

    /// Flat weight indices of group `group`, in increasing order (`Array(indices(g))` for an array).
    public func indices(_ group: Int) -> GroupIndices {
        GroupIndices(start: group * groupStride, runLength: runLength, runCount: runCount, runStride: runStride)
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

/// The flat weight indices of one group of a `GroupLayout`: `runCount` runs of `runLength`
/// consecutive indices, `runStride` apart, generated on the fly (no array per group).
public struct GroupIndices: Sequence, Sendable {
    let start: Int, runLength: Int, runCount: Int, runStride: Int

    /// How many indices the group holds.
    public var count: Int { runLength * runCount }
    /// How many indices the group holds (exactly).
    public var underestimatedCount: Int { count }

    /// Walks the runs in order.
    public func makeIterator() -> Iterator {
        Iterator(indices: self)
    }

    /// The next index of the current run, then the first of the next run.
    public struct Iterator: IteratorProtocol {
        let indices: GroupIndices
        var run = 0, offset = 0

        /// The next flat index, nil after the last run.
        public mutating func next() -> Int? {
            if offset == indices.runLength {
                run += 1
                offset = 0
            }
            guard run < indices.runCount && indices.runLength > 0 else { return nil }
            defer { offset += 1 }
            return indices.start + run * indices.runStride + offset
        }
    }
}

/// l_p norm of a group of values: `(Σ|w|ᵖ)^(1/p)`; p = 0 counts non-zeros, p = ∞ is max |w|.
///
/// Li et al. 2017 ("Pruning Filters for Efficient ConvNets") use l1 of filters; Han et al.
/// 2015 use |w| of single weights; both are instances.
public func groupNorm<Indices: Sequence>(_ values: [Float], indices: Indices, p: Double) -> Double
where Indices.Element == Int {
    if p == 0 { return Double(indices.reduce(0) { $0 + (values[$1] != 0 ? 1 : 0) }) }
    if p == .infinity { return indices.reduce(0.0) { max($0, Double(abs(values[$1]))) } }
    if p == 1 { return indices.reduce(0.0) { $0 + Double(abs(values[$1])) } }
    if p == 2 { return indices.reduce(0.0) { $0 + Double(values[$1]) * Double(values[$1]) }.squareRoot() }
    let sum = indices.reduce(0.0) { $0 + pow(Double(abs(values[$1])), p) }
    return pow(sum, 1 / p)
}
