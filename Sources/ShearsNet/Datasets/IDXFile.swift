import Foundation

/// An IDX file (LeCun's MNIST format) of unsigned bytes.
///
/// Layout: big-endian; magic = `00 00`, a type byte (`0x08` = u8), a byte with the number of
/// dimensions; one u32 per dimension; then the data, row-major. Fashion-MNIST uses it too.
public struct IDXFile: Equatable, Sendable {
    /// The size of each dimension, outermost first (`[N, H, W]` for images, `[N]` for labels).
    public let dimensions: [Int]
    /// The data, row-major, exactly the product of `dimensions` bytes.
    public let bytes: [UInt8]

    /// Ranks Shears reads: 1 (labels) to 3 (images).
    public static let ranks = 1...3
    /// The largest file Shears reads, 128 MiB: Fashion-MNIST's training images take 47 MB,
    /// and the bytes are held twice while parsing.
    public static let maximumBytes = 128 << 20

    /// Reads and checks an IDX file, gzip-compressed or plain. The header's size is checked
    /// against the file (or caps decompression) before the data is read.
    public init(path: String) throws {
        let raw = try GzipFile.read(path) { prefix in try Self.expectedSize(header: prefix, path: path) }
        try self.init(contents: raw, path: path)
    }

    /// Parses IDX bytes; `path` names the source in errors.
    public init(contents raw: [UInt8], path: String) throws {
        guard raw.count >= 4 else { throw DataError.badMagic(path: path, found: raw) }
        guard let expected = try Self.expectedSize(header: raw, path: path) else {
            throw DataError.truncated(path: path, expectedBytes: Self.headerSize(raw), actualBytes: raw.count)
        }
        guard raw.count >= expected else { throw DataError.truncated(path: path, expectedBytes: expected, actualBytes: raw.count) }
        guard raw.count == expected else { throw DataError.trailingBytes(path: path, expectedBytes: expected, actualBytes: raw.count) }
        let rank = Int(raw[3]), headerSize = 4 + 4 * rank
        dimensions = (0..<rank).map { Self.dimension($0, of: raw) }
        bytes = Array(raw[headerSize...])
    }

    /// The whole file's size the header promises (header + data), or nil while `header` is
    /// too short to tell; throws for a bad magic, type, rank, or a size beyond `Int`.
    static func expectedSize(header raw: [UInt8], path: String) throws -> Int? {
        guard raw.count >= 4 else { return nil }
        guard raw[0] == 0, raw[1] == 0 else { throw DataError.badMagic(path: path, found: Array(raw.prefix(4))) }
        guard raw[2] == 0x08 else { throw DataError.unsupportedType(path: path, typeCode: raw[2]) }
        let rank = Int(raw[3])
        guard ranks.contains(rank) else { throw DataError.unsupportedRank(path: path, rank: rank) }
        guard raw.count >= headerSize(raw) else { return nil }
        var size = 1
        for d in 0..<rank {
            let (product, overflow) = size.multipliedReportingOverflow(by: dimension(d, of: raw))
            guard !overflow else {
                throw DataError.sizeOverflow(path: path, dimensions: (0..<rank).map { dimension($0, of: raw) })
            }
            size = product
        }
        let (total, overflow) = size.addingReportingOverflow(headerSize(raw))
        guard !overflow else { throw DataError.sizeOverflow(path: path, dimensions: (0..<rank).map { dimension($0, of: raw) }) }
        guard total <= maximumBytes else { throw DataError.tooLarge(path: path, bytes: total, limit: maximumBytes) }
        return total
    }

    private static func headerSize(_ raw: [UInt8]) -> Int { raw.count >= 4 ? 4 + 4 * Int(raw[3]) : 4 }

    private static func dimension(_ d: Int, of raw: [UInt8]) -> Int {
        (0..<4).reduce(0) { $0 << 8 | Int(raw[4 + 4 * d + $1]) }
    }

    /// The bytes of an IDX file holding `bytes` with `dimensions` (for tests and tools).
    public static func encode(dimensions: [Int], bytes: [UInt8]) -> [UInt8] {
        precondition(dimensions.reduce(1, *) == bytes.count, "IDXFile.encode: \(bytes.count) bytes for \(dimensions)")
        var out: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
        for d in dimensions { out += [UInt8(d >> 24 & 0xff), UInt8(d >> 16 & 0xff), UInt8(d >> 8 & 0xff), UInt8(d & 0xff)] }
        return out + bytes
    }
}
