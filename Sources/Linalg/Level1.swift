extension BLAS {
    /// `y ← alpha · x + y` (`saxpy`/`daxpy`).
    public static func axpy<T: LinalgScalar>(_ alpha: T, _ x: UnsafeBufferPointer<T>,
                                             _ y: UnsafeMutableBufferPointer<T>) throws {
        guard x.count == y.count else {
            throw LinalgError.shapeMismatch(operation: "axpy", detail: "x has \(x.count) elements, y has \(y.count)")
        }
        guard !x.isEmpty else { return }
        T.cAxpy(try blasInt(x.count, "axpy"), alpha, x.baseAddress!, 1, y.baseAddress!, 1)
    }

    /// `xᵀy` (`sdot`/`ddot`).
    public static func dot<T: LinalgScalar>(_ x: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>) throws -> T {
        guard x.count == y.count else {
            throw LinalgError.shapeMismatch(operation: "dot", detail: "x has \(x.count) elements, y has \(y.count)")
        }
        guard !x.isEmpty else { return 0 }
        return T.cDot(try blasInt(x.count, "dot"), x.baseAddress!, 1, y.baseAddress!, 1)
    }

    /// `‖x‖₂` (`snrm2`/`dnrm2`, scaled to avoid overflow).
    public static func nrm2<T: LinalgScalar>(_ x: UnsafeBufferPointer<T>) throws -> T {
        guard !x.isEmpty else { return 0 }
        return T.cNrm2(try blasInt(x.count, "nrm2"), x.baseAddress!, 1)
    }
}
