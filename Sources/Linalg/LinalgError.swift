/// Errors thrown by the linear-algebra wrappers.
///
/// Shape errors are caught in Swift before any C call and name both shapes; LAPACK's `info`
/// codes are translated into what they mean for the routine that returned them.
public enum LinalgError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Operand shapes do not fit together; `detail` names both shapes.
    case shapeMismatch(operation: String, detail: String)
    /// A dimension does not fit in the 32-bit integers BLAS and LAPACK take.
    case dimensionTooLarge(operation: String, value: Int)
    /// `potrf` found a leading minor that is not positive (1-based order of the minor).
    case notPositiveDefinite(routine: String, leadingMinor: Int)
    /// `getrf`/`getri` found an exactly zero pivot `U[i, i]` (1-based).
    case singular(routine: String, pivot: Int)
    /// `gels` found a zero diagonal element of the triangular factor (1-based).
    case rankDeficient(routine: String, diagonalElement: Int)
    /// An eigen-solver did not converge (`info` is LAPACK's count of failures).
    case noConvergence(routine: String, info: Int)
    /// LAPACKE rejected argument number `position` (1-based), i.e. `info = -position`.
    case illegalArgument(routine: String, position: Int)
    /// LAPACKE could not allocate its work space or its transposed copy (`info` -1010 or -1011).
    case outOfMemory(routine: String)
    /// Damped Cholesky gave up: even `H + λI` with the largest tried λ is not positive definite.
    case dampingExhausted(lastLambda: Double, attempts: Int)

    public var description: String {
        switch self {
        case let .shapeMismatch(operation, detail):
            return "\(operation): shape mismatch: \(detail)"
        case let .dimensionTooLarge(operation, value):
            return "\(operation): dimension \(value) does not fit in a 32-bit BLAS/LAPACK integer"
        case let .notPositiveDefinite(routine, minor):
            return "\(routine): matrix is not positive definite: leading minor \(minor)"
        case let .singular(routine, pivot):
            return "\(routine): matrix is singular: U[\(pivot), \(pivot)] is exactly zero"
        case let .rankDeficient(routine, element):
            return "\(routine): matrix does not have full rank: diagonal element \(element) of the triangular factor is zero"
        case let .noConvergence(routine, info):
            return "\(routine): eigen-solver failed to converge (info = \(info))"
        case let .illegalArgument(routine, position):
            return "\(routine): argument \(position) has an illegal value"
        case let .outOfMemory(routine):
            return "\(routine): LAPACKE could not allocate its work space"
        case let .dampingExhausted(lambda, attempts):
            return "damped Cholesky: still not positive definite after \(attempts) attempts (last λ = \(lambda))"
        }
    }
}

/// LAPACKE's memory error codes (`LAPACK_WORK_MEMORY_ERROR`, `LAPACK_TRANSPOSE_MEMORY_ERROR`).
private let lapackMemoryErrors: Set<Int32> = [-1010, -1011]

/// Turns a negative LAPACKE `info` into the matching error; positive codes are routine-specific
/// and handled by each caller.
func checkArguments(_ info: Int32, routine: String) throws {
    guard info < 0 else { return }
    if lapackMemoryErrors.contains(info) { throw LinalgError.outOfMemory(routine: routine) }
    throw LinalgError.illegalArgument(routine: routine, position: Int(-info))
}

/// Converts a Swift size to BLAS/LAPACK's `Int32`, refusing silent truncation.
func blasInt(_ value: Int, _ operation: String) throws -> Int32 {
    guard let converted = Int32(exactly: value) else {
        throw LinalgError.dimensionTooLarge(operation: operation, value: value)
    }
    return converted
}
