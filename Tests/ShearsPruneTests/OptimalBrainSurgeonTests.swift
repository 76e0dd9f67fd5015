import Linalg
import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("Optimal Brain Surgeon")
struct OptimalBrainSurgeonTests {
    let rows = 3, k = 6, n = 40

    /// Inputs X (K x N), weights W₀ and the Hessian H = (2/N) X Xᵀ.
    func problem(seed: UInt64) throws -> (x: Matrix<Double>, w: Matrix<Double>, h: Matrix<Double>) {
        var rng = SeededGenerator(seed: seed)
        var x = Matrix<Double>(rows: k, cols: n), w = Matrix<Double>(rows: rows, cols: k)
        for i in x.storage.indices { x.storage[i] = Double(rng.nextGaussian()) }
        for i in w.storage.indices { w.storage[i] = Double(rng.nextGaussian()) }
        var h = try Matrix.product(x, x, transB: .transposed)
        for i in h.storage.indices { h.storage[i] *= 2 / Double(n) }
        return (x, w, h)
    }

    /// E(W') = (1/N) ‖(W' − W) X‖²_F.
    func error(_ updated: Matrix<Double>, _ original: Matrix<Double>, _ x: Matrix<Double>) throws -> Double {
        var difference = updated
        for i in difference.storage.indices { difference.storage[i] -= original.storage[i] }
        return try Matrix.product(difference, x).storage.reduce(0) { $0 + $1 * $1 } / Double(n)
    }

    @Test("predicted ΔE equals the measured one, for single weights and for groups", arguments: [[2], [0, 3], [1, 4, 5]])
    func predictionIsExact(columns: [Int]) throws {
        let (x, w, h) = try problem(seed: UInt64(columns.count))
        let surgeon = try OptimalBrainSurgeon(hessian: h, relativeDamping: 0)
        #expect(surgeon.damping == 0)
        let predicted = try surgeon.saliency(of: columns, in: w)
        var updated = w
        try surgeon.remove(columns, from: &updated)
        let measured = try error(updated, w, x)
        #expect(abs(measured - predicted) <= 1e-6 * predicted, "measured \(measured), predicted \(predicted)")
        for r in 0..<rows { for q in columns { #expect(updated[r, q] == 0) } }
        if columns.count == 1 {
            // Hassibi & Stork: w_q² / (2 [H⁻¹]_qq), summed over rows.
            let q = columns[0]
            let single = (0..<rows).reduce(0.0) { $0 + w[$1, q] * w[$1, q] } / (2 * surgeon.inverseHessian[q, q])
            #expect(abs(single - predicted) <= 1e-9 * predicted)
        }
    }

    @Test("the updated weights equal a brute-force least-squares refit of the remaining columns")
    func updateIsLeastSquares() throws {
        let (x, w, h) = try problem(seed: 9)
        let removed = [1, 4]
        let kept = (0..<k).filter { !removed.contains($0) }
        var updated = w
        try OptimalBrainSurgeon(hessian: h, relativeDamping: 0).remove(removed, from: &updated)
        // min ‖W' X_kept − W X‖: solve X_keptᵀ · W'ᵀ ≈ (W X)ᵀ.
        var xKeptT = Matrix<Double>(rows: n, cols: kept.count)
        for s in 0..<n { for (i, q) in kept.enumerated() { xKeptT[s, i] = x[q, s] } }
        let target = try Matrix.product(w, x).transposed
        let refit = try LeastSquares.solve(xKeptT, target)
        for r in 0..<rows {
            for (i, q) in kept.enumerated() { #expect(abs(updated[r, q] - refit[i, r]) < 1e-9, "W[\(r), \(q)]") }
        }
    }

    @Test("a singular Hessian is damped and the damping reported")
    func singularHessian() throws {
        var h = Matrix<Double>(rows: 3, cols: 3)
        for i in 0..<3 { for j in 0..<3 { h[i, j] = 1 } }
        let surgeon = try OptimalBrainSurgeon(hessian: h)
        #expect(surgeon.damping > 0)
        #expect(try surgeon.saliency(of: [0], in: Matrix<Double>(rows: 1, cols: 3, storage: [1, 0, 0])).isFinite)
    }
}
