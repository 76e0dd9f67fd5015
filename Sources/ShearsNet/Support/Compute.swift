import Dispatch
import CMalloc
import Linalg

/// How layers use the cores.
///
/// Convolutions split the batch over `workers` threads, each calling single-threaded BLAS:
/// on these machines that is 2x faster than one caller with 2 BLAS threads, and the two must
/// never be combined (oversubscription); see docs/performance.md.
public enum Compute {
    nonisolated(unsafe) public private(set) static var workers = 1

    /// Uses `threads` cores: batch workers for layers, and a single BLAS thread inside each.
    ///
    /// Also keeps freed large blocks in glibc's heap (process-wide `mallopt`): activations are
    /// megabyte arrays allocated every step, and returning them to the kernel each time made
    /// page clearing ~6% of a vgg-s training step.
    public static func configure(threads: Int) {
        precondition(threads >= 1, "Compute.configure: threads must be at least 1, got \(threads)")
        workers = threads
        BLASRuntime.threads = 1
        mallopt(M_MMAP_THRESHOLD, 32 << 20)  // glibc's maximum on 64-bit; larger values are ignored
        mallopt(M_TRIM_THRESHOLD, 512 << 20)
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
