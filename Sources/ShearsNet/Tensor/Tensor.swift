/// A contiguous float32 tensor, row-major; images are NCHW.
///
/// Only what the layers need: a shape, the values, and shape checks that name both shapes.
public struct Tensor: Equatable, Sendable {
    /// Dimensions, outermost first (`[N, C, H, W]` for images); set only by the initializers, so its product
    /// always equals `values.count`.
    public private(set) var shape: [Int]
    /// The elements, row-major (the last dimension varies fastest); writable in place, count unchanged.
    public var values: [Float]

    /// A tensor of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        self.shape = shape
        values = Array(repeating: value, count: shape.reduce(1, *))
    }

    /// A tensor over existing values; the count must equal the product of `shape`.
    public init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *),
                     "Tensor: \(values.count) values cannot have shape \(shape)")
        self.shape = shape
        self.values = values
    }

    /// Number of elements, the product of `shape`.
    public var count: Int { values.count }

    /// The same values under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "Tensor.reshaped: \(shape) cannot become \(newShape)")
        return Tensor(shape: newShape, values: values)
    }

    /// Elements per item of the leading (batch) dimension.
    public var itemSize: Int { shape.dropFirst().reduce(1, *) }
}

/// Stops with a message naming both shapes when they differ (a programmer error).
func requireShape(_ actual: [Int], _ expected: [Int], _ what: String) {
    precondition(actual == expected, "\(what): expected shape \(expected), got \(actual)")
}
