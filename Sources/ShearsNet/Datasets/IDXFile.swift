/// An IDX file (LeCun's MNIST format) of unsigned bytes.
///
/// Layout: big-endian; magic = `00 00`, a type byte (`0x08` = u8), a byte with the number of
/// dimensions; one u32 per dimension; then the data, row-major. Fashion-MNIST uses it too.
public struct IDXFile: Equatable, Sendable {
    public let dimensions: [Int]
    public let bytes: [UInt8]

    /// Reads and checks an IDX file, gzip-compressed or plain.
    public init(path: String) throws {
        try self.init(contents: try GzipFile.read(path), path: path)
    }

    /// Parses IDX bytes; `path` names the source in errors.
    public init(contents raw: [UInt8], path: String) throws {
        guard raw.count >= 4, raw[0] == 0, raw[1] == 0 else {
            throw DataError.badMagic(path: path, found: Array(raw.prefix(4)))
        }
        guard raw[2] == 0x08 else { throw DataError.unsupportedType(path: path, typeCode: raw[2]) }
        let rank = Int(raw[3])
        let headerSize = 4 + 4 * rank
        guard raw.count >= headerSize else {
            throw DataError.truncated(path: path, expectedBytes: headerSize, actualBytes: raw.count)
        }
        let dims = (0..<rank).map { d in
            (0..<4).reduce(0) { $0 << 8 | Int(raw[4 + 4 * d + $1]) }
        }
        let expected = headerSize + dims.reduce(1, *)
        guard raw.count >= expected else { throw DataError.truncated(path: path, expectedBytes: expected, actualBytes: raw.count) }
        guard raw.count == expected else { throw DataError.trailingBytes(path: path, expectedBytes: expected, actualBytes: raw.count) }
        dimensions = dims
        bytes = Array(raw[headerSize...])
    }

    /// The bytes of an IDX file holding `bytes` with `dimensions` (for tests and tools).
    public static func encode(dimensions: [Int], bytes: [UInt8]) -> [UInt8] {
        precondition(dimensions.reduce(1, *) == bytes.count, "IDXFile.encode: \(bytes.count) bytes for \(dimensions)")
        var out: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
        for d in dimensions { out += [UInt8(d >> 24 & 0xff), UInt8(d >> 16 & 0xff), UInt8(d >> 8 & 0xff), UInt8(d & 0xff)] }
        return out + bytes
    }
}
