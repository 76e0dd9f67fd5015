import Foundation

/// The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes
/// of JSON header, then the tensor bytes. The header maps each tensor name to
/// `{"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}` (offsets into the byte
/// buffer, end exclusive) plus an optional `"__metadata__"` object of strings.
///
/// Shears writes tensors sorted by name, contiguous, little-endian float32, and pads the
/// header with spaces so the buffer starts at a multiple of 8 bytes.
public struct SafeTensorsFile: Equatable, Sendable {
    /// Tensors by name (`features.0.weight`), float32, in their checkpoint shapes.
    public var tensors: [String: Tensor]
    /// The header's `__metadata__`: architecture JSON, seed, recipe, versions; strings only, as the format requires.
    public var metadata: [String: String]

    /// A file's contents, to encode or as decoded.
    public init(tensors: [String: Tensor], metadata: [String: String]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The file's bytes: header length, space-padded JSON header, then the tensors sorted by name, float32
    /// little-endian.
    public func encoded() throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let tensor = tensors[name]!
            header[name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + 4 * tensor.count]]
            offset += 4 * tensor.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        json.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8))
        var data = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for name in names {
            tensors[name]!.values.withUnsafeBufferPointer { values in
                // x86-64 and arm64 are little-endian, as the format is.
                data.append(UnsafeBufferPointer(start: UnsafeRawPointer(values.baseAddress!)
                    .assumingMemoryBound(to: UInt8.self), count: 4 * values.count))
            }
        }
        return data
    }

    /// Writes `encoded()` to `path` atomically (`AtomicFile`): a crash leaves the old file or the new one.
    public func write(to path: String) throws {
        try AtomicFile.write(try encoded(), to: path)
    }

    /// The largest checkpoint read, 512 MiB (32 M parameters with masks take 256 MB).
    public static let maximumFileBytes = 512 << 20

    /// Reads and decodes the file at `path`; throws `CheckpointError` naming the path and the first problem.
    public static func read(from path: String) throws -> SafeTensorsFile {
        try decode(try contents(of: path), path: path)
    }

    /// The bytes of the file at `path`, refused before reading when it is missing, a
    /// directory, or larger than `maximumFileBytes`.
    static func contents(of path: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CheckpointError.unreadable(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw CheckpointError.unreadable(path: path, reason: "it is a directory") }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size <= maximumFileBytes else {
            throw CheckpointError.malformed(path: path, reason: "\(size) bytes, more than the \(maximumFileBytes) Shears reads")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointError.unreadable(path: path, reason: "permission denied")
        }
        return data
    }

    /// Decodes safetensors bytes, validating everything before use: header length and JSON, dtypes (`F32` only),
    /// shapes against offsets, offsets in bounds, no overlaps or gaps; `path` names the source in errors.
    public static func decode(_ data: Data, path: String) throws -> SafeTensorsFile {
        try decode(data, path: path, acceptingBatchCounters: false).file
    }

    /// `decode`; with `acceptingBatchCounters`, every `*.num_batches_tracked` entry must be an
    /// int64 scalar (PyTorch BatchNorm's step counter) and is returned by name instead of in
    /// `tensors`, its bytes still counting in the overlap and gap checks.
    static func decode(_ data: Data, path: String,
                       acceptingBatchCounters: Bool) throws -> (file: SafeTensorsFile, batchCounters: [String]) {
        // Re-based so that indices start at 0 (a slice's do not).
        let bytes = data.startIndex == 0 ? data : Data(data)
        guard bytes.count >= 8 else { throw CheckpointError.malformed(path: path, reason: "\(bytes.count) bytes, too short for the header length") }
        let headerLength = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[$1]) << (8 * UInt64($1)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw CheckpointError.malformed(path: path, reason: "header length \(headerLength) exceeds the file's \(bytes.count - 8) bytes")
        }
        let bufferStart = 8 + Int(headerLength)
        guard let header = try? JSONSerialization.jsonObject(with: bytes[8..<bufferStart]) as? [String: Any] else {
            throw CheckpointError.malformed(path: path, reason: "the header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let strings = raw as? [String: String] else {
                throw CheckpointError.malformed(path: path, reason: "__metadata__ must map strings to strings")
            }
            metadata = strings
        }
        var tensors: [String: Tensor] = [:]
        var spans: [(Int, Int, String)] = []
        var batchCounters: [String] = []
        for (name, entry) in header.sorted(by: { $0.key < $1.key }) where name != "__metadata__" {
            if acceptingBatchCounters, name.hasSuffix(".num_batches_tracked") {
                let span = try batchCounterSpan(name, entry, available: bytes.count - bufferStart, path: path)
                batchCounters.append(name)
                spans.append((span.begin, span.end, name))
                continue
            }
            let tensor = try decodeTensor(name, entry, bytes: bytes, bufferStart: bufferStart, path: path)
            tensors[name] = tensor.tensor
            spans.append((tensor.begin, tensor.end, name))
        }
        spans.sort { $0.0 < $1.0 }
        var position = 0
        for (begin, end, name) in spans {
            guard begin == position else {
                throw CheckpointError.badTensor(path: path, tensor: name,
                                                reason: begin < position ? "overlaps the previous tensor" : "leaves a gap before it")
            }
            position = end
        }
        guard position == bytes.count - bufferStart else {
            throw CheckpointError.malformed(path: path, reason: "\(bytes.count - bufferStart - position) bytes after the last tensor")
        }
        return (SafeTensorsFile(tensors: tensors, metadata: metadata), batchCounters)
    }

    private static func decodeTensor(_ name: String, _ entry: Any, bytes: Data, bufferStart: Int,
                                     path: String) throws -> (tensor: Tensor, begin: Int, end: Int) {
        guard let fields = entry as? [String: Any] else {
            throw CheckpointError.badTensor(path: path, tensor: name, reason: "entry is not an object")
        }
        guard let dtype = fields["dtype"] as? String else {
            throw CheckpointError.badTensor(path: path, tensor: name, reason: "missing or non-string 'dtype'")
        }
        guard dtype == "F32" else { throw CheckpointError.unsupportedDType(path: path, tensor: name, dtype: dtype) }
        guard let shape = fields["shape"] as? [Int], shape.allSatisfy({ $0 >= 0 }) else {
            throw CheckpointError.badTensor(path: path, tensor: name, reason: "missing or invalid 'shape'")
        }
        guard let offsets = fields["data_offsets"] as? [Int], offsets.count == 2, offsets[0] >= 0, offsets[1] >= offsets[0] else {
            throw CheckpointError.badTensor(path: path, tensor: name, reason: "missing or invalid 'data_offsets'")
        }
        // Sizes are checked against the bytes present before any arithmetic can overflow.
        let available = bytes.count - bufferStart
        guard offsets[1] <= available else {
            throw CheckpointError.badTensor(path: path, tensor: name, reason: "data_offsets \(offsets) run past the end of the file")
        }
        var count = 1
        for extent in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow, product <= available / 4 else {
                throw CheckpointError.badTensor(path: path, tensor: name,
                                                reason: "shape \(shape) needs more bytes than the file's \(available)")
            }
            count = product
        }
        guard offsets[1] - offsets[0] == 4 * count else {
            throw CheckpointError.badTensor(path: path, tensor: name,
                                            reason: "shape \(shape) needs \(4 * count) bytes, offsets span \(offsets[1] - offsets[0])")
        }
        let values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            bytes.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(out).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: raw[(bufferStart + offsets[0])..<(bufferStart + offsets[1])]))
            }
            initialized = count
        }
        return (Tensor(shape: shape, values: values), offsets[0], offsets[1])
    }
}
