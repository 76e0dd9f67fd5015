import Linalg
import Testing

@Suite("Shape mismatches are clear errors before any C call")
struct ShapeErrorTests {
    let a3x4: Matrix<Double> = randomMatrix(3, 4, seed: 60)
    let b5x2: Matrix<Double> = randomMatrix(5, 2, seed: 61)

    @Test("gemm names both operand shapes")
    func gemm() {
        let message = thrownDescription { _ = try Matrix.product(a3x4, b5x2) }
        #expect(message?.contains("op(A) is 3x4") == true && message?.contains("op(B) is 5x2") == true,
                "got \(message ?? "no error")")
        var wrongOut = Matrix<Double>(rows: 2, cols: 2)
        let outMessage = thrownDescription {
            try a3x4.withView { av in
                try a3x4.withView { bv in
                    try wrongOut.withMutableView { try BLAS.gemm(av, bv, into: $0, transB: .transposed) }
                }
            }
        }
        #expect(outMessage?.contains("C is 2x2") == true)
    }

    @Test("every wrapper refuses inconsistent shapes")
    func everyWrapper() throws {
        var square = Matrix<Double>(rows: 3, cols: 3)
        let x = [1.0, 2.0]
        var y = [0.0, 0.0, 0.0]
        let errors: [String?] = [
            thrownDescription {
                try a3x4.withView { av in
                    try x.withUnsafeBufferPointer { xb in
                        try y.withUnsafeMutableBufferPointer { try BLAS.gemv(av, xb, into: $0) }
                    }
                }
            },
            thrownDescription { try a3x4.withView { av in try square.withMutableView { try BLAS.syrk(av, into: $0) } } },
            thrownDescription {
                try x.withUnsafeBufferPointer { xb in try y.withUnsafeMutableBufferPointer { try BLAS.axpy(1, xb, $0) } }
            },
            thrownDescription { _ = try x.withUnsafeBufferPointer { xb in try y.withUnsafeBufferPointer { try BLAS.dot(xb, $0) } } },
            thrownDescription { _ = try Cholesky(a3x4) },
            thrownDescription { _ = try Cholesky(Matrix<Double>.identity(4)).solve(b5x2) },
            thrownDescription { _ = try a3x4.inverse() },
            thrownDescription { _ = try SymmetricEigen(a3x4) },
            thrownDescription { _ = try SymmetricEigen(largest: 5, of: Matrix<Double>.identity(4)) },
            thrownDescription { _ = try LeastSquares.solve(a3x4, b5x2) },
            thrownDescription { _ = try LeastSquares.solve(a3x4, Matrix<Double>(rows: 3, cols: 1)) },
            thrownDescription { _ = try Matrix<Double>(rows: 2, cols: 3, storage: [1, 2]) },
        ]
        for (index, message) in errors.enumerated() {
            #expect(message?.contains("shape mismatch") == true, "case \(index): \(message ?? "no error")")
        }
        square[0, 0] = 1
    }
}
