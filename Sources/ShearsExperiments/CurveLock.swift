import Foundation

/// An exclusive lock on one curve's files (`<name>.lock` beside the CSV), held until the
/// process ends: two runs appending to the same CSV would double every row.
///
/// `flock(2)` locks are released by the kernel when the process exits or is killed, so a
/// run killed with SIGKILL leaves no stale lock behind.
public final class CurveLock {
    /// The lock file, `CurveStore.lockPath`.
    public let path: String
    private let descriptor: Int32

    /// Takes the lock or throws `CurveStoreError.busy` at once (never waits).
    public init(store: CurveStore) throws {
        path = store.lockPath
        descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CurveStoreError.mismatch(path: path, reason: "cannot create the lock file: \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno == EWOULDBLOCK
                ? "another shears curve is writing \(store.csvPath); wait for it or choose another --out"
                : "cannot lock: \(String(cString: strerror(errno)))"
            close(descriptor)
            throw CurveStoreError.busy(path: path, reason: reason)
        }
    }

    deinit { close(descriptor) }
}

extension CurveStore {
    /// `<name>.lock` beside the CSV (`<name>` is the CSV path without `.csv`): the file `CurveLock` holds.
    public var lockPath: String { (csvPath.hasSuffix(".csv") ? String(csvPath.dropLast(4)) : csvPath) + ".lock" }

    /// Refuses, before any work, an output that cannot become this curve's CSV: a directory,
    /// or an existing file that is not a curve CSV (rows are checked too).
    public func checkOutput() throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: csvPath, isDirectory: &isDirectory), isDirectory.boolValue {
            throw CurveStoreError.mismatch(path: csvPath, reason: "is a directory; --out names the CSV to write")
        }
        _ = try rows()
    }
}
