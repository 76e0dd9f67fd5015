import Foundation

/// A data file that cannot be used, with the path and what is wrong with it.
public enum DataError: Error, Equatable, CustomStringConvertible {
    case missingFile(path: String, hint: String)
    case unreadable(path: String, reason: String)
    case corruptGzip(path: String, reason: String)
    case badMagic(path: String, found: [UInt8])
    case unsupportedType(path: String, typeCode: UInt8)
    case truncated(path: String, expectedBytes: Int, actualBytes: Int)
    case trailingBytes(path: String, expectedBytes: Int, actualBytes: Int)
    case countMismatch(imagesPath: String, images: Int, labelsPath: String, labels: Int)
    case labelOutOfRange(path: String, index: Int, label: Int, classes: Int)
    case wrongDimensions(path: String, expected: Int, actual: Int)
    case unsupportedRank(path: String, rank: Int)
    case sizeOverflow(path: String, dimensions: [Int])
    case tooLarge(path: String, bytes: Int, limit: Int)
    case inflatesPastHeader(path: String, expectedBytes: Int)
    case empty(path: String)
    case imageShape(path: String, expected: [Int], actual: [Int])

    public var description: String {
        switch self {
        case let .missingFile(path, hint): return "\(path): no such file; \(hint)"
        case let .unreadable(path, reason): return "\(path): cannot read: \(reason)"
        case let .corruptGzip(path, reason): return "\(path): gzip stream is corrupt: \(reason)"
        case let .badMagic(path, found):
            return "\(path): not an IDX file: magic bytes \(found.map { String(format: "%02x", $0) }.joined(separator: " ")), expected 00 00 <type> <dims>"
        case let .unsupportedType(path, code):
            return "\(path): IDX element type 0x\(String(format: "%02x", code)) is not supported (only 0x08, unsigned bytes)"
        case let .truncated(path, expected, actual):
            return "\(path): truncated: the header promises \(expected) bytes, the file has \(actual)"
        case let .trailingBytes(path, expected, actual):
            return "\(path): \(actual - expected) unexpected bytes after the \(expected) the header describes"
        case let .countMismatch(imagesPath, images, labelsPath, labels):
            return "\(imagesPath) has \(images) images but \(labelsPath) has \(labels) labels"
        case let .labelOutOfRange(path, index, label, classes):
            return "\(path): label \(label) at index \(index) is outside 0..<\(classes)"
        case let .wrongDimensions(path, expected, actual):
            return "\(path): expected an IDX file with \(expected) dimensions, found \(actual)"
        case let .unsupportedRank(path, rank):
            return "\(path): the IDX header declares \(rank) dimensions; Shears reads 1 (labels) to 3 (images)"
        case let .sizeOverflow(path, dimensions):
            return "\(path): the IDX dimensions \(dimensions) describe more bytes than can be addressed"
        case let .tooLarge(path, bytes, limit):
            return "\(path): the IDX header promises \(bytes) bytes, more than the \(limit) Shears reads"
        case let .inflatesPastHeader(path, expected):
            return "\(path): the gzip stream inflates past the \(expected) bytes the header describes"
        case let .empty(path): return "\(path): holds no examples"
        case let .imageShape(path, expected, actual):
            return "\(path): images are \(actual.map(String.init).joined(separator: "x")), "
                + "the model expects \(expected.map(String.init).joined(separator: "x"))"
        }
    }
}
