import Linalg
import Testing

@Suite("LAPACK wrappers")
struct LAPACKTests {
    @Test("Cholesky: L·Lᵀ = A, A·X = B solved, A·A⁻¹ = I", arguments: [1, 4, 33])
    func cholesky(n: Int) throws {
        let a = randomSPD(n, seed: UInt64(n))
        let factor = try Cholesky(a)
        let l = factor.lower
        for i in 0..<n { for j in (i + 1)..<max(n, i + 1) where j < n { #expect(l[i, j] == 0) } }
        #expect(maxAbsDifference(try Matrix.product(l, l, transB: .transposed), a) < 1e-9 * Double(n))
        let b: Matrix<Double> = randomMatrix(n, 3, seed: 99)
        let x = try factor.solve(b)
        #expect(maxAbsDifference(try Matrix.product(a, x), b) < 1e-10)
        let inverse = try factor.inverse()
        #expect(maxAbsDifference(try Matrix.product(a, inverse), Matrix<Double>.identity(n)) < 1e-10)
        #expect(maxAbsDifference(inverse, inverse.transposed) == 0)
    }

    @Test("Cholesky of a non-positive-definite matrix names the failing leading minor")
    func choleskyNotPositiveDefinite() {
        let a = Matrix<Double>.diagonal([2, 1, -1, 4])
        #expect(throws: LinalgError.notPositiveDefinite(routine: "potrf", leadingMinor: 3)) { try Cholesky(a) }
        let message = thrownDescription { _ = try Cholesky(a) }
        #expect(message == "potrf: matrix is not positive definite: leading minor 3")
    }

    @Test("general inverse: A·A⁻¹ = I in Float and Double; singular matrices throw")
    func generalInverse() throws {
        let a: Matrix<Double> = randomMatrix(12, 12, seed: 11)
        #expect(maxAbsDifference(try Matrix.product(a, try a.inverse()), Matrix<Double>.identity(12)) < 1e-9)
        var f: Matrix<Float> = randomMatrix(6, 6, seed: 12)
        for i in 0..<6 { f[i, i] += 3 }
        #expect(maxAbsDifference(try Matrix.product(f, try f.inverse()), Matrix<Float>.identity(6)) < 1e-5)
        let singular = try Matrix<Double>(rows: 2, cols: 2, storage: [1, 2, 2, 4])
        #expect(throws: LinalgError.singular(routine: "getrf", pivot: 2)) { try singular.inverse() }
    }

    @Test("syevd: V·diag(λ)·Vᵀ = A with orthonormal V, ascending λ", arguments: [1, 5, 40])
    func symmetricEigen(n: Int) throws {
        let a = randomSPD(n, seed: 20 + UInt64(n))
        let eigen = try SymmetricEigen(a)
        #expect(eigen.values == eigen.values.sorted())
        let v = eigen.vectors
        #expect(maxAbsDifference(try Matrix.product(v, v, transA: .transposed), Matrix<Double>.identity(n)) < 1e-10)
        let reconstructed = try Matrix.product(try Matrix.product(v, Matrix.diagonal(eigen.values)), v, transB: .transposed)
        #expect(maxAbsDifference(reconstructed, a) < 1e-9 * Double(n))
    }

    @Test("syevr's top-k eigenpairs equal syevd's largest ones")
    func topEigenpairs() throws {
        let a = randomSPD(30, seed: 31)
        let all = try SymmetricEigen(a)
        let top = try SymmetricEigen(largest: 4, of: a)
        #expect(top.values.count == 4 && top.vectors.rows == 30 && top.vectors.cols == 4)
        for j in 0..<4 {
            #expect(abs(top.values[j] - all.values[26 + j]) < 1e-9 * all.values[29])
            // Eigenvectors are unique up to sign: compare |⟨u, v⟩| with 1.
            var inner = 0.0
            for i in 0..<30 { inner += top.vectors[i, j] * all.vectors[i, 26 + j] }
            #expect(abs(abs(inner) - 1) < 1e-9)
        }
    }

    @Test("least squares: the residual is orthogonal to A's columns")
    func leastSquares() throws {
        let a: Matrix<Double> = randomMatrix(20, 6, seed: 40)
        let b: Matrix<Double> = randomMatrix(20, 2, seed: 41)
        let x = try LeastSquares.solve(a, b)
        #expect(x.rows == 6 && x.cols == 2)
        var residual = try Matrix.product(a, x)
        for i in residual.storage.indices { residual.storage[i] -= b.storage[i] }
        let orthogonality = try Matrix.product(a, residual, transA: .transposed)
        #expect(maxAbsDifference(orthogonality, Matrix<Double>(rows: 6, cols: 2)) < 1e-12)
        // A consistent system is solved exactly.
        let exact = try LeastSquares.solve(a, try Matrix.product(a, x))
        #expect(maxAbsDifference(exact, x) < 1e-12)
    }

    @Test("least squares on dependent columns is a rank error")
    func leastSquaresRankDeficient() throws {
        var a: Matrix<Double> = randomMatrix(8, 3, seed: 42)
        for i in 0..<8 { a[i, 2] = 0 }
        #expect(throws: LinalgError.rankDeficient(routine: "gels", diagonalElement: 3)) {
            try LeastSquares.solve(a, Matrix<Double>(rows: 8, cols: 1, repeating: 1))
        }
    }
}
