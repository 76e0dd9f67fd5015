import COpenBLAS

/// What BLAS library actually runs, and with how many threads.
///
/// A silent fall-back to Debian's reference BLAS costs 10–50x; printing `config` and
/// `coreName` (e.g. in `shears env`) makes that visible.
public enum BLASRuntime {
    /// OpenBLAS's build string, e.g. `"OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64"`.
    public static var config: String { String(cString: openblas_get_config()) }

    /// The kernel family OpenBLAS chose for this CPU at run time (e.g. `"Cooperlake"`).
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// OpenBLAS's worker-thread count. Set it to 1 when parallelising over a batch yourself:
    /// BLAS threads plus caller threads oversubscribe the cores (docs/performance.md).
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set {
            precondition(newValue >= 1, "BLASRuntime.threads must be at least 1, got \(newValue)")
            openblas_set_num_threads(Int32(clamping: newValue))
        }
    }
}
