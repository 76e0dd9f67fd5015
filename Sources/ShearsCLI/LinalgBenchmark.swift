import Foundation
import COpenBLAS
import Linalg

/// One GEMM measurement: the typed wrapper and a direct CBLAS call on the same buffers.
struct GemmResult: Codable {
    var precision: String
    var n: Int
    var threads: Int
    var wrapperGflops: Double
    var directGflops: Double
    /// wrapper / direct: 1.0 means the wrapper costs nothing.
    var ratio: Double

    init(precision: String, n: Int, threads: Int, wrapperGflops: Double, directGflops: Double) {
        (self.precision, self.n, self.threads) = (precision, n, threads)
        (self.wrapperGflops, self.directGflops, ratio) = (wrapperGflops, directGflops, wrapperGflops / directGflops)
    }
}

/// One LAPACK-path measurement.
struct LapackResult: Codable {
    var operation: String
    var shape: String
    var threads: Int
    var milliseconds: Double
    var gflops: Double
}

struct LinalgBenchReport: Codable {
    var environment: EnvironmentReport
    var gemm: [GemmResult]
    var lapack: [LapackResult]

    func printTable() {
        print("BLAS: \(environment.blasConfig) [\(environment.blasCore)]; CPU: \(environment.cpu)")
        print("GEMM (median GFLOP/s, 2n³ flops)")
        print("prec  threads      n   wrapper    direct   wrapper/direct")
        for r in gemm {
            print(pad(r.precision, 4), pad("\(r.threads)", 8), pad("\(r.n)", 6), pad(fmt(r.wrapperGflops), 9),
                  pad(fmt(r.directGflops), 9), pad(fmt(r.ratio, 3), 16))
        }
        print("LAPACK paths (median)")
        print("operation                 shape            threads        ms    GFLOP/s")
        for r in lapack {
            print(pad(r.operation, 24, left: true), pad(r.shape, 14, left: true), pad("\(r.threads)", 8),
                  pad(fmt(r.milliseconds), 9), pad(fmt(r.gflops), 10))
        }
    }
}

/// The measurements behind `shears bench linalg`. Inputs come from a fixed-seed generator.
struct LinalgBenchmark {
    var repeats: Int
    var syrkRows: Int

    /// GEMM `C = A·B` at order `n`: wrapper and direct call alternate, so drift hits both alike.
    func gemm<T: LinalgScalar>(n: Int, scalar: T.Type, threads: Int) throws -> GemmResult {
        let a: Matrix<T> = seededMatrix(n, n, seed: 1)
        let b: Matrix<T> = seededMatrix(n, n, seed: 2)
        var c = Matrix<T>(rows: n, cols: n)
        var wrapperTimes: [Double] = [], directTimes: [Double] = []
        try a.withView { av in
            try b.withView { bv in
                try c.withMutableView { cv in
                    let n32 = Int32(n)
                    let direct = { T.cGemm(CblasNoTrans, CblasNoTrans, n32, n32, n32, 1, av.base, n32, bv.base, n32, 0, cv.base, n32) }
                    // Small products are noisy with 2 threads: repeat until each side spans ~0.25 s.
                    let estimate = max(try Stopwatch.seconds { try BLAS.gemm(av, bv, into: cv) }, Stopwatch.seconds(direct))
                    for _ in 0..<max(repeats, Int((0.25 / estimate).rounded(.up))) {
                        wrapperTimes.append(try Stopwatch.seconds { try BLAS.gemm(av, bv, into: cv) })
                        directTimes.append(Stopwatch.seconds(direct))
                    }
                }
            }
        }
        let flops = 2 * Double(n) * Double(n) * Double(n)
        return GemmResult(precision: T.self == Float.self ? "s" : "d", n: n, threads: threads,
                          wrapperGflops: flops / Stopwatch.median(of: wrapperTimes) / 1e9,
                          directGflops: flops / Stopwatch.median(of: directTimes) / 1e9)
    }

    /// SYRK `AᵀA` of a `syrkRows x 576` float matrix: the Hessian of a 64-channel 3x3 conv input.
    func syrk(threads: Int) throws -> LapackResult {
        let n = 576
        let a: Matrix<Float> = seededMatrix(syrkRows, n, seed: 3)
        var c = Matrix<Float>(rows: n, cols: n)
        let seconds = try a.withView { av in
            try c.withMutableView { cv in
                try Stopwatch.median(repeats: repeats) { try BLAS.syrk(av, into: cv) }
            }
        }
        let flops = Double(syrkRows) * Double(n) * Double(n + 1)
        return LapackResult(operation: "syrk AᵀA (float)", shape: "\(syrkRows)x\(n)", threads: threads,
                            milliseconds: seconds * 1e3, gflops: flops / seconds / 1e9)
    }

    /// Cholesky inverse (potrf + potri) and full eigendecomposition (syevd) of an SPD matrix.
    func lapack(n: Int, threads: Int) throws -> [LapackResult] {
        let x: Matrix<Double> = seededMatrix(2 * n, n, seed: 4)
        var spd = try x.gram()
        for i in 0..<n { spd[i, i] += 1 }
        let inverseSeconds = try Stopwatch.median(repeats: repeats) { _ = try Cholesky(spd).inverse() }
        let eigenSeconds = try Stopwatch.median(repeats: repeats) { _ = try SymmetricEigen(spd) }
        let cube = Double(n) * Double(n) * Double(n)
        // potrf n³/3 + potri 2n³/3 flops (LAPACK Working Note 41); syevd with vectors ≈ 9n³ (Golub & Van Loan).
        return [
            LapackResult(operation: "cholesky inverse (double)", shape: "\(n)x\(n)", threads: threads,
                         milliseconds: inverseSeconds * 1e3, gflops: cube / inverseSeconds / 1e9),
            LapackResult(operation: "syevd (double)", shape: "\(n)x\(n)", threads: threads,
                         milliseconds: eigenSeconds * 1e3, gflops: 9 * cube / eigenSeconds / 1e9),
        ]
    }

    private func seededMatrix<T: LinalgScalar>(_ rows: Int, _ cols: Int, seed: UInt64) -> Matrix<T> {
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        var m = Matrix<T>(rows: rows, cols: cols)
        for i in m.storage.indices {
            // xorshift64*: cheap, seeded, uniform enough for timing inputs.
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            m.storage[i] = T(Double((state &* 0x2545_F491_4F6C_DD1D) >> 11) / Double(1 << 53) - 0.5)
        }
        return m
    }
}

func fmt(_ value: Double, _ digits: Int = 1) -> String {
    String(format: "%.\(digits)f", value)
}

func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
    let padding = String(repeating: " ", count: max(0, width - text.count))
    return left ? text + padding : padding + text
}
