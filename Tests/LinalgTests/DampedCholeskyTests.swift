import Linalg
import Testing

@Suite("Damped Cholesky")
struct DampedCholeskyTests {
    /// `Q·diag(values)·Qᵀ` for a random orthogonal `Q` (from a symmetric eigendecomposition).
    func matrix(withEigenvalues values: [Double], seed: UInt64) throws -> Matrix<Double> {
        let q = try SymmetricEigen(randomSPD(values.count, seed: seed)).vectors
        var a = try Matrix.product(try Matrix.product(q, Matrix.diagonal(values)), q, transB: .transposed)
        let symmetric = a.transposed
        for i in a.storage.indices { a.storage[i] = (a.storage[i] + symmetric.storage[i]) / 2 }
        return a
    }

    func factors(_ a: Matrix<Double>, shift: Double) -> Bool {
        var shifted = a
        for i in 0..<a.rows { shifted[i, i] += shift }
        return (try? Cholesky(shifted)) != nil
    }

    @Test("a positive-definite matrix needs no damping")
    func noDamping() throws {
        let damped = try DampedCholesky(randomSPD(10, seed: 50))
        #expect(damped.lambda == 0 && damped.attempts == 1)
    }

    @Test("singular and indefinite matrices get the smallest working λ within a factor of 10",
          arguments: [[0.0, 0, 1, 2, 3, 5], [-0.5, 0, 1, 2, 3, 5], [-3e-4, 1, 1, 2, 2, 9]])
    func smallestLambda(eigenvalues: [Double]) throws {
        let a = try matrix(withEigenvalues: eigenvalues, seed: 51)
        let damped = try DampedCholesky(a)
        let smallest = eigenvalues.min()!
        #expect(damped.lambda > 0)
        #expect(damped.lambda > -smallest, "λ = \(damped.lambda) cannot fix eigenvalue \(smallest)")
        #expect(factors(a, shift: damped.lambda))
        // Minimal within a factor of 10, unless λ/10 is below the rounding floor ulp · mean|diag|.
        let roundingFloor = Double.ulpOfOne * (0..<a.rows).reduce(0.0) { $0 + abs(a[$1, $1]) } / Double(a.rows)
        #expect(!factors(a, shift: damped.lambda / 10) || damped.lambda / 10 < roundingFloor,
                "λ/10 = \(damped.lambda / 10) also works: not minimal")
        // The factor is of A + λI.
        let l = damped.factor.lower
        var shifted = a
        for i in 0..<a.rows { shifted[i, i] += damped.lambda }
        #expect(maxAbsDifference(try Matrix.product(l, l, transB: .transposed), shifted) < 1e-10)
    }

    @Test("a hopeless matrix reports exhaustion with the last λ")
    func exhaustion() {
        let a = Matrix<Double>.diagonal([1, -1e30])
        #expect(throws: LinalgError.self) { try DampedCholesky(a, maxAttempts: 4) }
        let message = thrownDescription { _ = try DampedCholesky(a, maxAttempts: 4) }
        #expect(message?.contains("after 4 attempts") == true)
    }
}
