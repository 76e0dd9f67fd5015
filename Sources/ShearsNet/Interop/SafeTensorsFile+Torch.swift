import Foundation

extension SafeTensorsFile {
    /// Reads a state dict PyTorch saved (`safetensors.torch.save_file`): like `read`, except
    /// that int64 `*.num_batches_tracked` scalars (BatchNorm's step counter, which Shears does
    /// not keep) are accepted and dropped. Any other non-float32 tensor is still an error.
    public static func readTorchStateDict(from path: String) throws -> SafeTensorsFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointError.unreadable(path: path, reason: FileManager.default.fileExists(atPath: path)
                                                ? "permission denied" : "no such file")
        }
        return try decode(try droppingBatchCounters(data, path: path), path: path)
    }

    /// `data` without its int64 `num_batches_tracked` tensors: the other tensors' bytes are
    /// moved together and the header rewritten. Files without such tensors come back unchanged,
    /// and everything else is left for `decode` to check.
    static func droppingBatchCounters(_ data: Data, path: String) throws -> Data {
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { return data }
        let headerLength = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[$1]) << (8 * UInt64($1)) }
        guard headerLength <= UInt64(bytes.count - 8),
              var header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + Int(headerLength))])) as? [String: Any]
        else { return data }
        let counters = header.filter { name, entry in
            name.hasSuffix(".num_batches_tracked") && (entry as? [String: Any])?["dtype"] as? String == "I64"
        }
        guard !counters.isEmpty else { return data }
        for name in counters.keys { header[name] = nil }
        let bufferStart = 8 + Int(headerLength)
        var entries: [(name: String, fields: [String: Any], begin: Int, end: Int)] = []
        for (name, entry) in header where name != "__metadata__" {
            guard let fields = entry as? [String: Any], let offsets = fields["data_offsets"] as? [Int], offsets.count == 2,
                  offsets[0] >= 0, offsets[1] >= offsets[0], bufferStart + offsets[1] <= bytes.count else {
                throw CheckpointError.badTensor(path: path, tensor: name, reason: "missing or invalid 'data_offsets'")
            }
            entries.append((name, fields, offsets[0], offsets[1]))
        }
        var buffer: [UInt8] = []
        for entry in entries.sorted(by: { $0.begin < $1.begin }) {
            var fields = entry.fields
            fields["data_offsets"] = [buffer.count, buffer.count + entry.end - entry.begin]
            header[entry.name] = fields
            buffer += bytes[(bufferStart + entry.begin)..<(bufferStart + entry.end)]
        }
        let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        var result = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { result.append(contentsOf: $0) }
        result.append(json)
        result.append(contentsOf: buffer)
        return result
    }
}
