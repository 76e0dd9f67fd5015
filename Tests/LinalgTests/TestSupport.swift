import Linalg

/// SplitMix64 (Steele et al. 2014): a tiny seeded generator so every test input is reproducible.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func randomMatrix<T: LinalgScalar>(_ rows: Int, _ cols: Int, seed: UInt64, as: T.Type = T.self) -> Matrix<T>
where T.RawSignificand: FixedWidthInteger {
    var rng = SeededGenerator(seed: seed)
    var m = Matrix<T>(rows: rows, cols: cols)
    for i in m.storage.indices { m.storage[i] = T.random(in: -1...1, using: &rng) }
    return m
}

/// A symmetric positive-definite matrix `BᵀB + n·I`, well conditioned.
func randomSPD(_ n: Int, seed: UInt64) -> Matrix<Double> {
    let b = randomMatrix(n, n, seed: seed, as: Double.self)
    var a = Matrix<Double>(rows: n, cols: n)
    for i in 0..<n {
        for j in 0..<n {
            var s = 0.0
            for k in 0..<n { s += b[k, i] * b[k, j] }
            a[i, j] = s + (i == j ? Double(n) : 0)
        }
    }
    return a
}

/// Reference product by the textbook triple loop, in Double.
func naiveProduct<T: LinalgScalar>(_ a: Matrix<T>, _ b: Matrix<T>) -> Matrix<Double> {
    var c = Matrix<Double>(rows: a.rows, cols: b.cols)
    for i in 0..<a.rows {
        for j in 0..<b.cols {
            var s = 0.0
            for k in 0..<a.cols { s += Double(a[i, k]) * Double(b[k, j]) }
            c[i, j] = s
        }
    }
    return c
}

func maxAbsDifference<T: LinalgScalar, U: LinalgScalar>(_ a: Matrix<T>, _ b: Matrix<U>) -> Double {
    precondition(a.rows == b.rows && a.cols == b.cols, "compare \(a.shapeDescription) with \(b.shapeDescription)")
    var worst = 0.0
    for i in a.storage.indices { worst = max(worst, abs(Double(a.storage[i]) - Double(b.storage[i]))) }
    return worst
}

/// The error's description, or nil when nothing was thrown.
func thrownDescription(_ body: () throws -> Void) -> String? {
    do { try body(); return nil } catch { return "\(error)" }
}
