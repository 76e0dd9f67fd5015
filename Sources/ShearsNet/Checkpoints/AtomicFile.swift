import Foundation

/// Writes files so that a reader sees the old file or the complete new one, never a part:
/// the bytes go to a temporary file in the same directory, are flushed, then renamed over
/// the destination (rename is atomic within a file system).
public enum AtomicFile {
    /// Replaces `path` with `data` atomically; throws `CheckpointError.unwritable` naming `path` when the directory
    /// refuses the temporary file or the write or rename fails (the temporary file is then removed).
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw CheckpointError.unwritable(path: path, reason: "cannot create a file in \(url.deletingLastPathComponent().path)")
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            try handle.write(contentsOf: data)
            try handle.synchronize()
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw CheckpointError.unwritable(path: path, reason: "\(error)")
        }
        guard rename(temporary.path, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw CheckpointError.unwritable(path: path, reason: reason)
        }
    }
}
