import COpenBLAS

/// A floating-point type that BLAS and LAPACK serve: `Float` (s-routines) or `Double` (d-routines).
///
/// The requirements are the raw C entry points with Swift types; the typed wrappers
/// (`BLAS`, `Cholesky`, `SymmetricEigen`, …) check shapes and translate errors, and are what
/// callers use. All BLAS calls here are row-major; LAPACK calls pass `layout` explicitly.
public protocol LinalgScalar: BinaryFloatingPoint, Sendable {
    /// `cblas_?gemm`, row-major: `C ← α·op(A)·op(B) + β·C` with `op(A)` `m x k`, `op(B)` `k x n`, `C` `m x n`;
    /// `lda`, `ldb`, `ldc` are row strides in elements.
    static func cGemm(_ transA: CBLAS_TRANSPOSE, _ transB: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ k: Int32,
                      _ alpha: Self, _ a: UnsafePointer<Self>, _ lda: Int32, _ b: UnsafePointer<Self>, _ ldb: Int32,
                      _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int32)
    /// `cblas_?gemv`, row-major: `y ← α·op(A)·x + β·y` for an `m x n` matrix `A`; `incx`, `incy` are element strides.
    static func cGemv(_ trans: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ alpha: Self, _ a: UnsafePointer<Self>,
                      _ lda: Int32, _ x: UnsafePointer<Self>, _ incx: Int32, _ beta: Self,
                      _ y: UnsafeMutablePointer<Self>, _ incy: Int32)
    /// `cblas_?syrk`, row-major: `C ← α·A·Aᵀ + β·C` (or `α·Aᵀ·A` when transposed) on the `n x n` triangle `uplo`
    /// of `C`, with inner dimension `k`; the other triangle is left untouched.
    static func cSyrk(_ uplo: CBLAS_UPLO, _ trans: CBLAS_TRANSPOSE, _ n: Int32, _ k: Int32, _ alpha: Self,
                      _ a: UnsafePointer<Self>, _ lda: Int32, _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int32)
    /// `cblas_?axpy`: `y ← α·x + y` over `n` elements with strides `incx`, `incy`.
    static func cAxpy(_ n: Int32, _ alpha: Self, _ x: UnsafePointer<Self>, _ incx: Int32,
                      _ y: UnsafeMutablePointer<Self>, _ incy: Int32)
    /// `cblas_?dot`: `Σᵢ xᵢ·yᵢ` over `n` elements with strides `incx`, `incy`.
    static func cDot(_ n: Int32, _ x: UnsafePointer<Self>, _ incx: Int32, _ y: UnsafePointer<Self>, _ incy: Int32) -> Self
    /// `cblas_?nrm2`: the Euclidean norm `‖x‖₂` of `n` elements with stride `incx`, computed without overflow.
    static func cNrm2(_ n: Int32, _ x: UnsafePointer<Self>, _ incx: Int32) -> Self
    /// `LAPACKE_?potrf`: Cholesky factor `A = UᵀU` (or `LLᵀ`) of the `n x n` triangle `uplo`, in place; returns LAPACK's
    /// `info` (`k > 0`: the leading minor of order `k` is not positive).
    static func cPotrf(_ layout: Int32, _ uplo: CChar, _ n: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32) -> Int32
    /// `LAPACKE_?potrs`: solves `A·X = B` for `nrhs` right-hand sides from the factor `cPotrf` left in `a`; `B` is
    /// overwritten by `X`; returns `info`.
    static func cPotrs(_ layout: Int32, _ uplo: CChar, _ n: Int32, _ nrhs: Int32, _ a: UnsafePointer<Self>,
                       _ lda: Int32, _ b: UnsafeMutablePointer<Self>, _ ldb: Int32) -> Int32
    /// `LAPACKE_?potri`: overwrites the `cPotrf` factor in `a` with the triangle `uplo` of `A⁻¹`; returns `info`
    /// (`k > 0`: `U[k, k]` is zero).
    static func cPotri(_ layout: Int32, _ uplo: CChar, _ n: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32) -> Int32
    /// `LAPACKE_?getrf`: LU factorization with partial pivoting `A = P·L·U` of an `m x n` matrix, in place, pivots
    /// (1-based) in `ipiv`; returns `info` (`k > 0`: `U[k, k]` is exactly zero).
    static func cGetrf(_ layout: Int32, _ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32,
                       _ ipiv: UnsafeMutablePointer<Int32>) -> Int32
    /// `LAPACKE_?getri`: overwrites the `cGetrf` factors in `a` with `A⁻¹`, using the pivots `ipiv`; returns `info`.
    static func cGetri(_ layout: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32,
                       _ ipiv: UnsafePointer<Int32>) -> Int32
    /// `LAPACKE_?syevd`: all eigenvalues of the symmetric `n x n` matrix (triangle `uplo`) into `w`, ascending, and with
    /// `jobz = "V"` the orthonormal eigenvectors over `a`, by divide and conquer (Cuppen 1981; Gu & Eisenstat
    /// 1995); returns `info`.
    static func cSyevd(_ layout: Int32, _ jobz: CChar, _ uplo: CChar, _ n: Int32, _ a: UnsafeMutablePointer<Self>,
                       _ lda: Int32, _ w: UnsafeMutablePointer<Self>) -> Int32
    /// `LAPACKE_?syevr`: selected eigenpairs of a symmetric matrix by MRRR (Dhillon & Parlett 2004): with `range`
    /// `"I"` the `il...iu`-th smallest (1-based), with `"V"` those in `(vl, vu]`; `m` receives the count, `w` the
    /// values (ascending), `z` the vectors; returns `info`.
    static func cSyevr(_ layout: Int32, _ jobz: CChar, _ range: CChar, _ uplo: CChar, _ n: Int32,
                       _ a: UnsafeMutablePointer<Self>, _ lda: Int32, _ vl: Self, _ vu: Self, _ il: Int32, _ iu: Int32,
                       _ abstol: Self, _ m: UnsafeMutablePointer<Int32>, _ w: UnsafeMutablePointer<Self>,
                       _ z: UnsafeMutablePointer<Self>, _ ldz: Int32, _ isuppz: UnsafeMutablePointer<Int32>) -> Int32
    /// `LAPACKE_?gels`: least squares `min ‖A·X − B‖` (or minimum-norm solution when `m < n`) of a full-rank `m x n`
    /// `A` by QR or LQ; `X` overwrites the first rows of `B`; returns `info` (`k > 0`: the factor's diagonal element
    /// `k` is zero).
    static func cGels(_ layout: Int32, _ trans: CChar, _ m: Int32, _ n: Int32, _ nrhs: Int32,
                      _ a: UnsafeMutablePointer<Self>, _ lda: Int32, _ b: UnsafeMutablePointer<Self>, _ ldb: Int32) -> Int32
}

extension Float: LinalgScalar {
    public static func cGemm(_ transA: CBLAS_TRANSPOSE, _ transB: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ k: Int32,
                             _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int32, _ b: UnsafePointer<Float>, _ ldb: Int32,
                             _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int32) {
        cblas_sgemm(CblasRowMajor, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
    public static func cGemv(_ trans: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ alpha: Float, _ a: UnsafePointer<Float>,
                             _ lda: Int32, _ x: UnsafePointer<Float>, _ incx: Int32, _ beta: Float,
                             _ y: UnsafeMutablePointer<Float>, _ incy: Int32) {
        cblas_sgemv(CblasRowMajor, trans, m, n, alpha, a, lda, x, incx, beta, y, incy)
    }
    public static func cSyrk(_ uplo: CBLAS_UPLO, _ trans: CBLAS_TRANSPOSE, _ n: Int32, _ k: Int32, _ alpha: Float,
                             _ a: UnsafePointer<Float>, _ lda: Int32, _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int32) {
        cblas_ssyrk(CblasRowMajor, uplo, trans, n, k, alpha, a, lda, beta, c, ldc)
    }
    public static func cAxpy(_ n: Int32, _ alpha: Float, _ x: UnsafePointer<Float>, _ incx: Int32,
                             _ y: UnsafeMutablePointer<Float>, _ incy: Int32) {
        cblas_saxpy(n, alpha, x, incx, y, incy)
    }
    public static func cDot(_ n: Int32, _ x: UnsafePointer<Float>, _ incx: Int32, _ y: UnsafePointer<Float>, _ incy: Int32) -> Float {
        cblas_sdot(n, x, incx, y, incy)
    }
    public static func cNrm2(_ n: Int32, _ x: UnsafePointer<Float>, _ incx: Int32) -> Float {
        cblas_snrm2(n, x, incx)
    }
    public static func cPotrf(_ layout: Int32, _ uplo: CChar, _ n: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32) -> Int32 {
        LAPACKE_spotrf(layout, uplo, n, a, lda)
    }
    public static func cPotrs(_ layout: Int32, _ uplo: CChar, _ n: Int32, _ nrhs: Int32, _ a: UnsafePointer<Float>,
                              _ lda: Int32, _ b: UnsafeMutablePointer<Float>, _ ldb: Int32) -> Int32 {
        LAPACKE_spotrs(layout, uplo, n, nrhs, a, lda, b, ldb)
    }
    public static func cPotri(_ layout: Int32, _ uplo: CChar, _ n: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32) -> Int32 {
        LAPACKE_spotri(layout, uplo, n, a, lda)
    }
    public static func cGetrf(_ layout: Int32, _ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32,
                              _ ipiv: UnsafeMutablePointer<Int32>) -> Int32 {
        LAPACKE_sgetrf(layout, m, n, a, lda, ipiv)
    }
    public static func cGetri(_ layout: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32,
                              _ ipiv: UnsafePointer<Int32>) -> Int32 {
        LAPACKE_sgetri(layout, n, a, lda, ipiv)
    }
    public static func cSyevd(_ layout: Int32, _ jobz: CChar, _ uplo: CChar, _ n: Int32, _ a: UnsafeMutablePointer<Float>,
                              _ lda: Int32, _ w: UnsafeMutablePointer<Float>) -> Int32 {
        LAPACKE_ssyevd(layout, jobz, uplo, n, a, lda, w)
    }
    public static func cSyevr(_ layout: Int32, _ jobz: CChar, _ range: CChar, _ uplo: CChar, _ n: Int32,
                              _ a: UnsafeMutablePointer<Float>, _ lda: Int32, _ vl: Float, _ vu: Float, _ il: Int32, _ iu: Int32,
                              _ abstol: Float, _ m: UnsafeMutablePointer<Int32>, _ w: UnsafeMutablePointer<Float>,
                              _ z: UnsafeMutablePointer<Float>, _ ldz: Int32, _ isuppz: UnsafeMutablePointer<Int32>) -> Int32 {
        LAPACKE_ssyevr(layout, jobz, range, uplo, n, a, lda, vl, vu, il, iu, abstol, m, w, z, ldz, isuppz)
    }
    public static func cGels(_ layout: Int32, _ trans: CChar, _ m: Int32, _ n: Int32, _ nrhs: Int32,
                             _ a: UnsafeMutablePointer<Float>, _ lda: Int32, _ b: UnsafeMutablePointer<Float>, _ ldb: Int32) -> Int32 {
        LAPACKE_sgels(layout, trans, m, n, nrhs, a, lda, b, ldb)
    }
}

extension Double: LinalgScalar {
    public static func cGemm(_ transA: CBLAS_TRANSPOSE, _ transB: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ k: Int32,
                             _ alpha: Double, _ a: UnsafePointer<Double>, _ lda: Int32, _ b: UnsafePointer<Double>, _ ldb: Int32,
                             _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int32) {
        cblas_dgemm(CblasRowMajor, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
    public static func cGemv(_ trans: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ alpha: Double, _ a: UnsafePointer<Double>,
                             _ lda: Int32, _ x: UnsafePointer<Double>, _ incx: Int32, _ beta: Double,
                             _ y: UnsafeMutablePointer<Double>, _ incy: Int32) {
        cblas_dgemv(CblasRowMajor, trans, m, n, alpha, a, lda, x, incx, beta, y, incy)
    }
    public static func cSyrk(_ uplo: CBLAS_UPLO, _ trans: CBLAS_TRANSPOSE, _ n: Int32, _ k: Int32, _ alpha: Double,
                             _ a: UnsafePointer<Double>, _ lda: Int32, _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int32) {
        cblas_dsyrk(CblasRowMajor, uplo, trans, n, k, alpha, a, lda, beta, c, ldc)
    }
    public static func cAxpy(_ n: Int32, _ alpha: Double, _ x: UnsafePointer<Double>, _ incx: Int32,
                             _ y: UnsafeMutablePointer<Double>, _ incy: Int32) {
        cblas_daxpy(n, alpha, x, incx, y, incy)
    }
    public static func cDot(_ n: Int32, _ x: UnsafePointer<Double>, _ incx: Int32, _ y: UnsafePointer<Double>, _ incy: Int32) -> Double {
        cblas_ddot(n, x, incx, y, incy)
    }
    public static func cNrm2(_ n: Int32, _ x: UnsafePointer<Double>, _ incx: Int32) -> Double {
        cblas_dnrm2(n, x, incx)
    }
    public static func cPotrf(_ layout: Int32, _ uplo: CChar, _ n: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32) -> Int32 {
        LAPACKE_dpotrf(layout, uplo, n, a, lda)
    }
    public static func cPotrs(_ layout: Int32, _ uplo: CChar, _ n: Int32, _ nrhs: Int32, _ a: UnsafePointer<Double>,
                              _ lda: Int32, _ b: UnsafeMutablePointer<Double>, _ ldb: Int32) -> Int32 {
        LAPACKE_dpotrs(layout, uplo, n, nrhs, a, lda, b, ldb)
    }
    public static func cPotri(_ layout: Int32, _ uplo: CChar, _ n: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32) -> Int32 {
        LAPACKE_dpotri(layout, uplo, n, a, lda)
    }
    public static func cGetrf(_ layout: Int32, _ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32,
                              _ ipiv: UnsafeMutablePointer<Int32>) -> Int32 {
        LAPACKE_dgetrf(layout, m, n, a, lda, ipiv)
    }
    public static func cGetri(_ layout: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32,
                              _ ipiv: UnsafePointer<Int32>) -> Int32 {
        LAPACKE_dgetri(layout, n, a, lda, ipiv)
    }
    public static func cSyevd(_ layout: Int32, _ jobz: CChar, _ uplo: CChar, _ n: Int32, _ a: UnsafeMutablePointer<Double>,
                              _ lda: Int32, _ w: UnsafeMutablePointer<Double>) -> Int32 {
        LAPACKE_dsyevd(layout, jobz, uplo, n, a, lda, w)
    }
    public static func cSyevr(_ layout: Int32, _ jobz: CChar, _ range: CChar, _ uplo: CChar, _ n: Int32,
                              _ a: UnsafeMutablePointer<Double>, _ lda: Int32, _ vl: Double, _ vu: Double, _ il: Int32, _ iu: Int32,
                              _ abstol: Double, _ m: UnsafeMutablePointer<Int32>, _ w: UnsafeMutablePointer<Double>,
                              _ z: UnsafeMutablePointer<Double>, _ ldz: Int32, _ isuppz: UnsafeMutablePointer<Int32>) -> Int32 {
        LAPACKE_dsyevr(layout, jobz, range, uplo, n, a, lda, vl, vu, il, iu, abstol, m, w, z, ldz, isuppz)
    }
    public static func cGels(_ layout: Int32, _ trans: CChar, _ m: Int32, _ n: Int32, _ nrhs: Int32,
                             _ a: UnsafeMutablePointer<Double>, _ lda: Int32, _ b: UnsafeMutablePointer<Double>, _ ldb: Int32) -> Int32 {
        LAPACKE_dgels(layout, trans, m, n, nrhs, a, lda, b, ldb)
    }
}
