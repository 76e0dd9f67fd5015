import Dispatch
import Linalg

/// How layers use the cores.
///
/// Convolutions split the batch over `workers` threads, each calling single-threaded BLAS:
/// on these machines that is 2x faster than one caller with 2 BLAS threads, and the two must
/// never be combined (oversubscription); see docs/performance.md.
public enum Compute {
    /// Threads a layer splits its batch over (1 until `configure(threads:)`); set once at start-up, before
    /// any layer runs, hence the unchecked `nonisolated(unsafe)`.
    nonisolated(unsafe) public private(set) static var workers = 1

    /// Uses `threads` cores: batch workers for layers, and a single BLAS thread inside each.
    ///
    /// The allocator is left alone: the `shears` CLI tunes glibc's (`mallopt`) for itself,
    /// and a program that links ShearsNet can do the same (docs/performance.md).
    public static func configure(threads: Int) {
        precondition(threads >= 1, "Compute.configure: threads must be at least 1, got \(threads)")
        workers = threads
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
