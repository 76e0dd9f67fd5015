import CZlib
import Foundation

/// Reads a file whole, inflating it when it is gzip-compressed (magic `1f 8b`).
enum GzipFile {
    /// The bytes a plain file's header needs to tell its whole size (an IDX header of rank 3).
    static let headerProbe = 16

    /// Reads `path`; `expectedSize(prefix)` gives the total size the (inflated) content's
    /// header promises, or nil while the prefix is too short. A plain file whose size differs
    /// is refused unread past its header; decompression stops one byte past the promised
    /// size, so a gzip bomb costs no more memory than an honest file.
    static func read(_ path: String, expectedSize: ([UInt8]) throws -> Int? = { _ in nil }) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError.missingFile(path: path, hint: "check the path")
        }
        guard !isDirectory.boolValue else { throw DataError.unreadable(path: path, reason: "it is a directory") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw DataError.unreadable(path: path, reason: "permission denied")
        }
        defer { try? handle.close() }
        do {
            let head = [UInt8](try handle.read(upToCount: headerProbe) ?? Data())
            if head.count >= 2, head[0] == 0x1f, head[1] == 0x8b {
                let rest = [UInt8](try handle.readToEnd() ?? Data())
                return try inflate(head + rest, path: path, expectedSize: expectedSize)
            }
            let fileSize = Int(try handle.seekToEnd())
            if let expected = try expectedSize(head), expected != fileSize {
                throw expected > fileSize
                    ? DataError.truncated(path: path, expectedBytes: expected, actualBytes: fileSize)
                    : DataError.trailingBytes(path: path, expectedBytes: expected, actualBytes: fileSize)
            }
            try handle.seek(toOffset: 0)
            return [UInt8](try handle.readToEnd() ?? Data())
        } catch let error as DataError {
            throw error
        } catch {
            throw DataError.unreadable(path: path, reason: "\(error.localizedDescription)")
        }
    }

    /// zlib inflate with `windowBits = 15 + 32` (gzip or zlib header detected automatically),
    /// refusing output beyond what `expectedSize` allows once the header is known.
    static func inflate(_ compressed: [UInt8], path: String,
                        expectedSize: ([UInt8]) throws -> Int? = { _ in nil }) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError.corruptGzip(path: path, reason: "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        // Until the header is read, produce only its probe's worth.
        var limit: Int? = nil
        var output = [UInt8](repeating: 0, count: headerProbe)
        var produced = 0
        var status: Int32 = Z_OK
        try compressed.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress!)
            stream.avail_in = UInt32(input.count)
            while status != Z_STREAM_END {
                if limit == nil, produced >= headerProbe {
                    limit = try expectedSize(Array(output[0..<produced])) ?? Int.max
                }
                if produced == output.count {
                    if let limit, produced > limit {
                        throw DataError.inflatesPastHeader(path: path, expectedBytes: limit)
                    }
                    // One byte past the promised size is enough to know that it is exceeded.
                    let cap = limit.map { $0 == Int.max ? Int.max : $0 + 1 } ?? headerProbe
                    let grown = min(max(1 << 16, output.count * 2), cap)
                    if grown > output.count { output.append(contentsOf: repeatElement(0, count: grown - output.count)) }
                }
                status = output.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress! + produced
                    stream.avail_out = UInt32(min(out.count - produced, Int(UInt32.max)))
                    let before = stream.avail_out
                    let result = CZlib.inflate(&stream, Z_NO_FLUSH)
                    produced += Int(before - stream.avail_out)
                    return result
                }
                switch status {
                case Z_OK, Z_STREAM_END:
                    continue
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw DataError.corruptGzip(path: path, reason: "the stream is truncated")
                case Z_BUF_ERROR:
                    continue
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw DataError.corruptGzip(path: path, reason: message)
                }
            }
        }
        if let limit, produced > limit { throw DataError.inflatesPastHeader(path: path, expectedBytes: limit) }
        return Array(output[0..<produced])
    }
}
