import ArgumentParser
import COpenBLAS
import Linalg

/// `shears bench linalg`: the wrapper's GEMM against a direct CBLAS call on the same buffers,
/// and the LAPACK paths that OBS uses (SYRK Hessian, Cholesky inverse, eigendecomposition).
struct LinalgBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linalg",
        abstract: "GEMM GFLOP/s (wrapper vs direct cblas), SYRK, Cholesky inverse and syevd timings.")

    @Option(help: "Comma-separated BLAS thread counts to measure.")
    var threads: String = "1,2"

    @Option(help: "Comma-separated square GEMM sizes n.")
    var sizes: String = "256,512,1024,2048"

    @Option(help: "Timed repetitions per measurement (the median is reported).")
    var repeats: Int = 5

    @Option(help: "Rows of the SYRK input (samples of a layer's input).")
    var syrkRows: Int = 50_000

    @Option(help: "Comma-separated orders of the Cholesky-inverse and syevd problems.")
    var lapackSizes: String = "576,1152"

    @Flag(help: "Print the results as JSON instead of a table.")
    var json = false

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1, got \(repeats)") }
        guard syrkRows >= 1 else { throw ValidationError("--syrk-rows must be at least 1, got \(syrkRows)") }
        _ = try parsedList(threads, "--threads")
        _ = try parsedList(sizes, "--sizes")
        _ = try parsedList(lapackSizes, "--lapack-sizes")
    }

    func run() throws {
        BLASKernelNote.print()
        let benchmark = LinalgBenchmark(repeats: repeats, syrkRows: syrkRows)
        var report = LinalgBenchReport(environment: .current(), gemm: [], lapack: [])
        for threadCount in try parsedList(threads, "--threads") {
            BLASRuntime.threads = threadCount
            for n in try parsedList(sizes, "--sizes") {
                report.gemm.append(try benchmark.gemm(n: n, scalar: Float.self, threads: threadCount))
                report.gemm.append(try benchmark.gemm(n: n, scalar: Double.self, threads: threadCount))
            }
            report.lapack.append(try benchmark.syrk(threads: threadCount))
            for n in try parsedList(lapackSizes, "--lapack-sizes") {
                report.lapack.append(contentsOf: try benchmark.lapack(n: n, threads: threadCount))
            }
        }
        report.environment = .current()
        if json { try printJSON(report) } else { report.printTable() }
    }
}

/// Parses `"1,2,4"` into positive integers, naming the option on failure.
func parsedList(_ text: String, _ option: String) throws -> [Int] {
    let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) > 0 }) else {
        throw ValidationError("\(option) takes comma-separated positive integers, got '\(text)'")
    }
    return values.map { $0! }
}
