import Linalg
import Testing

@Suite("BLAS wrappers")
struct BLASTests {
    @Test("gemm equals the triple loop for every transpose pair", arguments: [
        (Transpose.none, Transpose.none), (.none, .transposed), (.transposed, .none), (.transposed, .transposed),
    ])
    func gemmMatchesNaive(transA: Transpose, transB: Transpose) throws {
        let (m, k, n) = (7, 5, 6)
        let a: Matrix<Double> = transA == .none ? randomMatrix(m, k, seed: 1) : randomMatrix(k, m, seed: 1)
        let b: Matrix<Double> = transB == .none ? randomMatrix(k, n, seed: 2) : randomMatrix(n, k, seed: 2)
        let c = try Matrix.product(a, b, transA: transA, transB: transB)
        let expected = naiveProduct(transA == .none ? a : a.transposed, transB == .none ? b : b.transposed)
        #expect(maxAbsDifference(c, expected) < 1e-12)
    }

    @Test("gemm on strided blocks with alpha and beta touches only the block")
    func gemmOnBlocks() throws {
        let big: Matrix<Float> = randomMatrix(10, 12, seed: 3)
        let other: Matrix<Float> = randomMatrix(9, 9, seed: 4)
        var out: Matrix<Float> = randomMatrix(8, 8, seed: 5)
        let before = out
        try big.withView { bv in
            try other.withView { ov in
                try out.withMutableView { cv in
                    // C[1..<4, 2..<6] = 2 · A[2..<5, 3..<7] · B[1..<5, 4..<8] + 0.5 · C[...]
                    try BLAS.gemm(bv.block(rows: 2..<5, cols: 3..<7), ov.block(rows: 1..<5, cols: 4..<8),
                                  into: cv.block(rows: 1..<4, cols: 2..<6), alpha: 2, beta: 0.5)
                }
            }
        }
        for i in 0..<8 {
            for j in 0..<8 {
                if (1..<4).contains(i) && (2..<6).contains(j) {
                    var s = 0.0
                    for k in 0..<4 { s += Double(big[i + 1, k + 3]) * Double(other[k + 1, j + 2]) }
                    let expected = 2 * s + 0.5 * Double(before[i, j])
                    #expect(abs(Double(out[i, j]) - expected) < 1e-5)
                } else {
                    #expect(out[i, j] == before[i, j], "element (\(i), \(j)) outside the block changed")
                }
            }
        }
    }

    @Test("syrk equals gemm of the transpose (AᵀA and A·Aᵀ), both triangles filled")
    func syrkEqualsGemm() throws {
        let a: Matrix<Double> = randomMatrix(40, 9, seed: 6)
        let viaSyrk = try a.gram()
        let viaGemm = try Matrix.product(a, a, transA: .transposed)
        #expect(maxAbsDifference(viaSyrk, viaGemm) < 1e-12)
        var outer = Matrix<Double>(rows: 9, cols: 9)
        let wide = a.transposed
        try wide.withView { av in try outer.withMutableView { try BLAS.syrk(av, into: $0, trans: .none) } }
        #expect(maxAbsDifference(outer, try Matrix.product(wide, wide, transB: .transposed)) < 1e-12)
        let floats: Matrix<Float> = randomMatrix(300, 17, seed: 7)
        #expect(maxAbsDifference(try floats.gram(), try Matrix.product(floats, floats, transA: .transposed)) < 1e-4)
    }

    @Test("gemv, axpy, dot and nrm2 agree with direct sums")
    func levelOneAndTwo() throws {
        let a: Matrix<Double> = randomMatrix(5, 4, seed: 8)
        let x = [1.0, -2.0, 0.5, 3.0]
        var y = [Double](repeating: 1, count: 5)
        try a.withView { av in
            try x.withUnsafeBufferPointer { xb in
                try y.withUnsafeMutableBufferPointer { yb in try BLAS.gemv(av, xb, into: yb, alpha: 2, beta: 3) }
            }
        }
        for i in 0..<5 {
            let expected = 2 * (0..<4).reduce(0.0) { $0 + a[i, $1] * x[$1] } + 3
            #expect(abs(y[i] - expected) < 1e-12)
        }
        var target = [1.0, 2.0, 3.0, 4.0]
        try x.withUnsafeBufferPointer { xb in
            try target.withUnsafeMutableBufferPointer { tb in try BLAS.axpy(2.0, xb, tb) }
        }
        #expect(target == [3.0, -2.0, 4.0, 10.0])
        let dot = try x.withUnsafeBufferPointer { xb in try target.withUnsafeBufferPointer { try BLAS.dot(xb, $0) } }
        #expect(abs(dot - (3 + 4 + 2 + 30)) < 1e-12)
        let norm = try [3.0, 4.0].withUnsafeBufferPointer { try BLAS.nrm2($0) }
        #expect(abs(norm - 5) < 1e-12)
    }

    @Test("the runtime reports OpenBLAS, not a reference BLAS, and its thread count can be set")
    func runtimeIsOpenBLAS() {
        #expect(BLASRuntime.config.contains("OpenBLAS"))
        #expect(!BLASRuntime.coreName.isEmpty)
        let saved = BLASRuntime.threads
        BLASRuntime.threads = 1
        #expect(BLASRuntime.threads == 1)
        BLASRuntime.threads = saved
    }

    @Test("a generic fall-back core on an AVX-512 or AVX2 CPU gets a suggestion; a fitting core gets none")
    func suggestedCoreType() {
        let cpuinfo = "processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu sse3 avx2 fma avx512f avx512dq avx512bw avx512vl\n"
        let avx512 = BLASRuntime.cpuFlags(inCPUInfo: cpuinfo)
        #expect(avx512.contains("avx512vl") && avx512.contains("fpu"))
        #expect(BLASRuntime.suggestedCoreType(chosen: "Prescott", cpuFlags: avx512) == "SkylakeX")
        #expect(BLASRuntime.suggestedCoreType(chosen: "Prescott", cpuFlags: ["avx2", "fma", "avx512f"]) == "Haswell")
        #expect(BLASRuntime.suggestedCoreType(chosen: "Prescott", cpuFlags: ["sse3"]) == nil)
        #expect(BLASRuntime.suggestedCoreType(chosen: "Cooperlake", cpuFlags: avx512) == nil)
        #expect(BLASRuntime.suggestedCoreType(chosen: "Haswell", cpuFlags: avx512) == nil)
        #expect(BLASRuntime.cpuFlags(inCPUInfo: "no flags here").isEmpty)
    }
}
