import Foundation

/// The protobuf wire format (https://protobuf.dev/programming-guides/encoding/), writing side
/// only, for the few ONNX messages the exporter needs.
///
/// A message is a sequence of fields, each a key `(field number << 3) | wire type` as a
/// varint, then the value: a varint (type 0: integers, enums), eight bytes (type 1), a
/// length-prefixed byte string (type 2: strings, bytes, embedded messages, packed repeated
/// scalars) or four bytes (type 5: `float`). Integers are two's complement in 64 bits, so a
/// negative `int64` takes ten bytes, as protobuf specifies. Fields are written in the order
/// the caller gives; readers accept any order.
///
/// Hand-written instead of swift-protobuf: the exporter writes seven message types and reads
/// none, which is ~60 lines here, whereas swift-protobuf's generator plugin costs a ~10-minute
/// first build and a code-generation step (see `docs/interop.md`).
public struct ProtobufWriter {
    /// The encoded message so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty message.
    public init() {}

    enum WireType: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    mutating func key(_ field: Int, _ type: WireType) {
        precondition(field >= 1 && field < 1 << 29, "ProtobufWriter: field number \(field)")
        varint(UInt64(field) << 3 | type.rawValue)
    }

    /// Base-128 little-endian groups of 7 bits, the high bit set on every byte but the last.
    mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(rest & 0x7f) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// An `int64`, `int32` or enum field (negative values as their 64-bit two's complement).
    public mutating func int(_ field: Int, _ value: Int) {
        key(field, .varint)
        varint(UInt64(bitPattern: Int64(value)))
    }

    /// A `string` field: its UTF-8 bytes, length-delimited.
    public mutating func string(_ field: Int, _ value: String) {
        data(field, Array(value.utf8))
    }

    /// A `bytes` field (type 2): the length as a varint, then the bytes.
    public mutating func data(_ field: Int, _ value: [UInt8]) {
        key(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// An embedded message, written by `body` into its own writer.
    public mutating func message(_ field: Int, _ body: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        body(&inner)
        data(field, inner.bytes)
    }

    /// A `float` field: four little-endian IEEE-754 bytes.
    public mutating func float(_ field: Int, _ value: Float) {
        key(field, .fixed32)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A packed `repeated int64` field (one length-delimited run of varints).
    public mutating func packedInts(_ field: Int, _ values: [Int]) {
        var inner = ProtobufWriter()
        for value in values { inner.varint(UInt64(bitPattern: Int64(value))) }
        data(field, inner.bytes)
    }
}
