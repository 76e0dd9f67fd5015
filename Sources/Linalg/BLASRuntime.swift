import COpenBLAS
import Foundation

/// What BLAS library actually runs, and with how many threads.
///
/// A silent fall-back to Debian's reference BLAS costs 10–50x; printing `config` and
/// `coreName` (e.g. in `shears env`) makes that visible. So does OpenBLAS's own fall-back:
/// OpenBLAS 0.3.21's `DYNAMIC_ARCH` does not know some recent Intel CPUs and runs its generic
/// SSE3 `Prescott` kernels on them, 4–6x slower sgemm than its AVX-512 `SkylakeX` kernels on the
/// same cores (docs/performance.md). OpenBLAS reads `OPENBLAS_CORETYPE` once, when it is loaded,
/// so the remedy is an environment variable set before the process starts: `scripts/run`,
/// `scripts/test` and the benchmark scripts set it (`scripts/blas-kernels`); ``suggestedCoreType``
/// says which value fits.
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

    /// Whether OpenBLAS chose one of its generic kernel families older than AVX (on an old CPU,
    /// or as its fall-back on one it does not recognise): GEMM then runs at a fraction of
    /// what AVX2 or AVX-512 kernels reach, which changes which convolution algorithm is faster.
    public static var runsGenericKernels: Bool { genericCoreNames.contains(coreName.lowercased()) }

    /// The `OPENBLAS_CORETYPE` worth setting on this machine, or `nil` when OpenBLAS's own
    /// choice already uses the CPU's vector units (or the CPU's flags cannot be read).
    public static var suggestedCoreType: String? {
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        return suggestedCoreType(chosen: coreName, cpuFlags: cpuFlags(inCPUInfo: cpuinfo))
    }

    /// The kernel family to request when OpenBLAS chose a generic pre-AVX family (`chosen`) on a
    /// CPU whose `flags` support a faster one: `SkylakeX` with AVX-512 F, BW, DQ and VL (what
    /// OpenBLAS's SkylakeX kernels use), `Haswell` with AVX2 and FMA; `nil` otherwise.
    public static func suggestedCoreType(chosen: String, cpuFlags: Set<String>) -> String? {
        guard genericCoreNames.contains(chosen.lowercased()) else { return nil }
        if cpuFlags.isSuperset(of: ["avx512f", "avx512bw", "avx512dq", "avx512vl"]) { return "SkylakeX" }
        if cpuFlags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// The CPU feature flags of the first processor in a `/proc/cpuinfo` text.
    public static func cpuFlags(inCPUInfo text: String) -> Set<String> {
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == "flags" {
                return Set(parts[1].split(separator: " ").map(String.init))
            }
        }
        return []
    }

    /// OpenBLAS's kernel families older than AVX, lower-cased: where `DYNAMIC_ARCH` lands when
    /// it does not recognise a CPU.
    private static let genericCoreNames: Set<String> = [
        "prescott", "core2", "penryn", "dunnington", "katmai", "coppermine", "northwood", "banias", "atom",
    ]
}
