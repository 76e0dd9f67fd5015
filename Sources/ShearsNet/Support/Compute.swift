import Dispatch
import Linalg

/// How layers use the cores.
///
/// Convolutions split the batch over `workers` threads, each calling single-threaded BLAS:
/// on these machines that is 2x faster than one caller with 2 BLAS threads, and the two must
/// never be combined (oversubscription); see docs/performance.md.
public enum Compute {
    /// Threads a layer splits its batch over: `withWorkers`'s count inside its body, else the
    /// count `configure(threads:)` set (1 until it is called).
    public static var workers: Int { scopedWorkers ?? configuredWorkers }

    /// Set once at start-up, before any layer runs, hence the unchecked `nonisolated(unsafe)`.
    nonisolated(unsafe) private static var configuredWorkers = 1

    /// `withWorkers`'s count, seen by the task that runs its body only.
    @TaskLocal private static var scopedWorkers: Int?

    /// Runs `body` with layers splitting their batches over `threads` workers in this task
    /// only, leaving what other tasks see alone: how tests compare thread counts while other
    /// tests run at once (a per-worker partial sum gives other rounding with another count,
    /// so a process-wide change would leak into their results).
    public static func withWorkers<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T {
        precondition(threads >= 1, "Compute.withWorkers: threads must be at least 1, got \(threads)")
        return try $scopedWorkers.withValue(threads, operation: body)
    }

    /// Uses `threads` cores: batch workers for layers, and a single BLAS thread inside each.
    ///
    /// The allocator is left alone: the `shears` CLI tunes glibc's (`mallopt`) for itself,
    /// and a program that links ShearsNet can do the same (docs/performance.md).
    public static func configure(threads: Int) {
        precondition(threads >= 1, "Compute.configure: threads must be at least 1, got \(threads)")
        configuredWorkers = threads
        BLASRuntime.threads = 1
    }

    /// Runs `body(worker, range)` over `count` items split into contiguous shares.
    public static func parallelShares(_ count: Int, _ body: (Int, Range<Int>) -> Void) {
        let shares = max(1, min(workers, count))
        if shares == 1 { body(0, 0..<count); return }
        // Each share touches disjoint output memory and private scratch; the caller guarantees it.
        nonisolated(unsafe) let work = body
        DispatchQueue.concurrentPerform(iterations: shares) { worker in
            let start = count * worker / shares, end = count * (worker + 1) / shares
            work(worker, start..<end)
        }
    }
}
