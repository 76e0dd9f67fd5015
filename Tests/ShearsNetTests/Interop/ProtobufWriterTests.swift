import Testing
@testable import ShearsNet

@Suite("protobuf wire format")
struct ProtobufWriterTests {
    // The byte strings are the worked examples of https://protobuf.dev/programming-guides/encoding/.
    @Test("varints, strings, embedded messages and packed repeated fields as in the protobuf guide")
    func guideExamples() {
        var w = ProtobufWriter()
        w.int(1, 150)
        #expect(w.bytes == [0x08, 0x96, 0x01])
        w = ProtobufWriter()
        w.string(2, "testing")
        #expect(w.bytes == [0x12, 0x07] + Array("testing".utf8))
        w = ProtobufWriter()
        w.message(3) { $0.int(1, 150) }
        #expect(w.bytes == [0x1a, 0x03, 0x08, 0x96, 0x01])
        w = ProtobufWriter()
        w.packedInts(4, [3, 270, 86942])
        #expect(w.bytes == [0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05])
    }

    @Test("negative integers take ten bytes (64-bit two's complement); floats are four little-endian bytes")
    func negativeAndFloat() {
        var w = ProtobufWriter()
        w.int(1, -1)
        #expect(w.bytes == [0x08] + Array(repeating: 0xff, count: 9) + [0x01])
        w = ProtobufWriter()
        w.float(2, 1)
        #expect(w.bytes == [0x15, 0x00, 0x00, 0x80, 0x3f])
    }
}
