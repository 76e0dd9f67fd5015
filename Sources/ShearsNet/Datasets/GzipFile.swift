import CZlib
import Foundation

/// Reads a file whole, inflating it when it is gzip-compressed (magic `1f 8b`).
enum GzipFile {
    static func read(_ path: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError.missingFile(path: path, hint: "check the path")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError.unreadable(path: path, reason: "permission denied or not a regular file")
        }
        let bytes = [UInt8](data)
        guard bytes.count >= 2, bytes[0] == 0x1f, bytes[1] == 0x8b else { return bytes }
        return try inflate(bytes, path: path)
    }

    /// zlib inflate with `windowBits = 15 + 32` (gzip or zlib header detected automatically).
    static func inflate(_ compressed: [UInt8], path: String) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError.corruptGzip(path: path, reason: "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: max(1 << 16, compressed.count * 4))
        var produced = 0
        var status: Int32 = Z_OK
        try compressed.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress!)
            stream.avail_in = UInt32(input.count)
            while status != Z_STREAM_END {
                if produced == output.count { output.append(contentsOf: repeatElement(0, count: output.count)) }
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
        return Array(output[0..<produced])
    }
}
