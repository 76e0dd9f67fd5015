import Foundation

/// A data file that cannot be used, with the path and what is wrong with it.
public enum DataError: Error, Equatable, CustomStringConvertible {
    /// The file does not exist; `hint` says how to get it (install the Debian package, or check `--data-dir`).
    case missingFile(path: String, hint: String)
    /// The path is a directory, not readable, or failed while reading.
    case unreadable(path: String, reason: String)
    /// The file is gzip-compressed but zlib cannot inflate it (a corrupt or truncated stream).
    case corruptGzip(path: String, reason: String)
    /// The first bytes are not an IDX magic (`00 00 <type> <rank>`); `found` holds them.
    case badMagic(path: String, found: [UInt8])
    /// The IDX element type is not `0x08` (unsigned bytes), the only one Fashion-MNIST uses.
    case unsupportedType(path: String, typeCode: UInt8)
    /// The data is shorter than the dimensions in the header promise.
    case truncated(path: String, expectedBytes: Int, actualBytes: Int)
    /// Bytes follow the data that the header describes.
    case trailingBytes(path: String, expectedBytes: Int, actualBytes: Int)
    /// The image file and the label file hold different numbers of examples.
    case countMismatch(imagesPath: String, images: Int, labelsPath: String, labels: Int)
    /// A label is not in `0..<classes`; `index` is its 0-based position.
    case labelOutOfRange(path: String, index: Int, label: Int, classes: Int)
    /// The file has another rank than its role needs (3 for images, 1 for labels).
    case wrongDimensions(path: String, expected: Int, actual: Int)
    /// The header declares a rank outside `IDXFile.ranks` (1...3).
    case unsupportedRank(path: String, rank: Int)
    /// The product of the dimensions overflows `Int`.
    case sizeOverflow(path: String, dimensions: [Int])
    /// The header promises more than `limit` bytes (`IDXFile.maximumBytes`); refused before allocating.
    case tooLarge(path: String, bytes: Int, limit: Int)
    /// The gzip stream inflates to more bytes than the header describes; refused while inflating, so a gzip bomb
    /// cannot exhaust memory.
    case inflatesPastHeader(path: String, expectedBytes: Int)
    /// The file holds zero examples.
    case empty(path: String)
    /// The images are not the model's `[C, H, W]` input shape.
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
