/// A dense row-major matrix that owns its storage: element `(i, j)` is `storage[i * cols + j]`.
public struct Matrix<Scalar: LinalgScalar>: Equatable, Sendable {
    /// Number of rows; read-only outside the initializers, which keep `rows * cols == storage.count`.
    public private(set) var rows: Int
    /// Number of columns, which is also the row stride of `storage`.
    public private(set) var cols: Int
    /// The elements, row-major; writable in place, but its count must stay `rows * cols`.
    public var storage: [Scalar]

    /// A `rows x cols` matrix filled with `value`.
    public init(rows: Int, cols: Int, repeating value: Scalar = 0) {
        precondition(rows >= 0 && cols >= 0, "Matrix: negative shape \(rows)x\(cols)")
        self.rows = rows
        self.cols = cols
        storage = Array(repeating: value, count: rows * cols)
    }

    /// A matrix over existing row-major storage; throws if the count is not `rows * cols`.
    public init(rows: Int, cols: Int, storage: [Scalar]) throws {
        guard rows >= 0, cols >= 0, storage.count == rows * cols else {
            throw LinalgError.shapeMismatch(
                operation: "Matrix",
                detail: "\(storage.count) elements cannot form a \(rows)x\(cols) matrix")
        }
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// The `n x n` identity.
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, cols: n)
        for i in 0..<n { m.storage[i * n + i] = 1 }
        return m
    }

    /// A square matrix with `values` on its diagonal.
    public static func diagonal(_ values: [Scalar]) -> Matrix {
        var m = Matrix(rows: values.count, cols: values.count)
        for (i, v) in values.enumerated() { m.storage[i * values.count + i] = v }
        return m
    }

    /// Element `(row, col)`, 0-based, bounds-checked by a precondition that names the index and the shape.
    public subscript(row: Int, col: Int) -> Scalar {
        get {
            precondition(row >= 0 && row < rows && col >= 0 && col < cols,
                         "Matrix: index (\(row), \(col)) outside \(rows)x\(cols)")
            return storage[row * cols + col]
        }
        set {
            precondition(row >= 0 && row < rows && col >= 0 && col < cols,
                         "Matrix: index (\(row), \(col)) outside \(rows)x\(cols)")
            storage[row * cols + col] = newValue
        }
    }

    /// `"rows x cols"`, as used in error messages.
    public var shapeDescription: String { "\(rows)x\(cols)" }

    /// The transpose, as a new matrix.
    public var transposed: Matrix {
        var t = Matrix(rows: cols, cols: rows)
        for i in 0..<rows {
            for j in 0..<cols { t.storage[j * rows + i] = storage[i * cols + j] }
        }
        return t
    }

    /// Calls `body` with a read-only view of the whole matrix.
    public func withView<R>(_ body: (MatrixView<Scalar>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer { buffer in
            try body(MatrixView(base: buffer.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                                rows: rows, cols: cols, rowStride: max(cols, 1)))
        }
    }

    /// Calls `body` with a writable view of the whole matrix.
    public mutating func withMutableView<R>(_ body: (MutableMatrixView<Scalar>) throws -> R) rethrows -> R {
        let (rows, cols) = (self.rows, self.cols)
        return try storage.withUnsafeMutableBufferPointer { buffer in
            try body(MutableMatrixView(base: buffer.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!,
                                       rows: rows, cols: cols, rowStride: max(cols, 1)))
        }
    }
}

/// A read-only, possibly strided, row-major view: element `(i, j)` is at `base[i * rowStride + j]`.
///
/// Views let GEMM work on sub-blocks of larger buffers (a layer's weight slice, one image's
/// im2col block) without copies. The caller keeps the memory alive while the view is used.
public struct MatrixView<Scalar: LinalgScalar> {
    /// Address of element `(0, 0)`; not owned: the caller keeps the memory alive.
    public let base: UnsafePointer<Scalar>
    /// Number of rows in the view.
    public let rows: Int
    /// Number of columns in the view.
    public let cols: Int
    /// Elements between the starts of consecutive rows (BLAS's `lda`), at least `max(cols, 1)`.
    public let rowStride: Int

    /// A view of `rows x cols` elements at `base`, rows `rowStride` apart (default `max(cols, 1)`: contiguous).
    public init(base: UnsafePointer<Scalar>, rows: Int, cols: Int, rowStride: Int? = nil) {
        let stride = rowStride ?? max(cols, 1)
        precondition(rows >= 0 && cols >= 0 && stride >= max(cols, 1),
                     "MatrixView: \(rows)x\(cols) with row stride \(stride)")
        self.base = base
        self.rows = rows
        self.cols = cols
        self.rowStride = stride
    }

    /// The block `rows x cols` of this view, sharing its memory.
    public func block(rows rowRange: Range<Int>, cols colRange: Range<Int>) -> MatrixView {
        precondition(rowRange.lowerBound >= 0 && rowRange.upperBound <= rows
                     && colRange.lowerBound >= 0 && colRange.upperBound <= cols,
                     "MatrixView.block: \(rowRange) x \(colRange) outside \(rows)x\(cols)")
        return MatrixView(base: base + rowRange.lowerBound * rowStride + colRange.lowerBound,
                          rows: rowRange.count, cols: colRange.count, rowStride: rowStride)
    }

    /// Element `(row, col)`, 0-based; unchecked, as views are used in hot loops.
    public subscript(row: Int, col: Int) -> Scalar { base[row * rowStride + col] }

    /// `"rows x cols"`, as used in error messages.
    public var shapeDescription: String { "\(rows)x\(cols)" }
}

/// A writable, possibly strided, row-major view; see `MatrixView`.
public struct MutableMatrixView<Scalar: LinalgScalar> {
    /// Address of element `(0, 0)`; not owned: the caller keeps the memory alive.
    public let base: UnsafeMutablePointer<Scalar>
    /// Number of rows in the view.
    public let rows: Int
    /// Number of columns in the view.
    public let cols: Int
    /// Elements between the starts of consecutive rows (BLAS's `lda`), at least `max(cols, 1)`.
    public let rowStride: Int

    /// A view of `rows x cols` elements at `base`, rows `rowStride` apart (default `max(cols, 1)`: contiguous).
    public init(base: UnsafeMutablePointer<Scalar>, rows: Int, cols: Int, rowStride: Int? = nil) {
        let stride = rowStride ?? max(cols, 1)
        precondition(rows >= 0 && cols >= 0 && stride >= max(cols, 1),
                     "MutableMatrixView: \(rows)x\(cols) with row stride \(stride)")
        self.base = base
        self.rows = rows
        self.cols = cols
        self.rowStride = stride
    }

    /// The same memory as a read-only ``MatrixView``, e.g. to pass as a GEMM input.
    public var readOnly: MatrixView<Scalar> {
        MatrixView(base: UnsafePointer(base), rows: rows, cols: cols, rowStride: rowStride)
    }

    /// The block `rows x cols` of this view, sharing its memory.
    public func block(rows rowRange: Range<Int>, cols colRange: Range<Int>) -> MutableMatrixView {
        precondition(rowRange.lowerBound >= 0 && rowRange.upperBound <= rows
                     && colRange.lowerBound >= 0 && colRange.upperBound <= cols,
                     "MutableMatrixView.block: \(rowRange) x \(colRange) outside \(rows)x\(cols)")
        return MutableMatrixView(base: base + rowRange.lowerBound * rowStride + colRange.lowerBound,
                                 rows: rowRange.count, cols: colRange.count, rowStride: rowStride)
    }

    /// Element `(row, col)`, 0-based; unchecked, as views are used in hot loops. The setter writes
    /// through to the memory, so it is `nonmutating`.
    public subscript(row: Int, col: Int) -> Scalar {
        get { base[row * rowStride + col] }
        nonmutating set { base[row * rowStride + col] = newValue }
    }

    /// `"rows x cols"`, as used in error messages.
    public var shapeDescription: String { "\(rows)x\(cols)" }
}
