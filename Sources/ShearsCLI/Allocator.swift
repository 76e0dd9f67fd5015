import CMalloc

/// glibc's allocator, tuned for the CLI's workloads. Process-wide, so it is set here, at the
/// edge, and never by the libraries (a program that links them keeps its own allocator).
enum Allocator {
    /// Keeps freed large blocks in glibc's heap instead of returning them to the kernel:
    /// activations are megabyte arrays allocated every step, and unmapping and re-faulting
    /// them each time made page clearing ~6% of a vgg-s training step (docs/performance.md).
    static func keepFreedBlocks() {
        mallopt(M_MMAP_THRESHOLD, 32 << 20)  // glibc's maximum on 64-bit; larger values are ignored
        mallopt(M_TRIM_THRESHOLD, 512 << 20)
    }
}
