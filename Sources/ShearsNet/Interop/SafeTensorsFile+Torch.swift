import Foundation

extension SafeTensorsFile {
    /// Reads a state dict PyTorch saved (`safetensors.torch.save_file`): like `read` (same
    /// size limit and checks), except that `*.num_batches_tracked` tensors (BatchNorm's step
    /// counter, which Shears does not keep) must be int64 scalars and are returned by name
    /// instead of as tensors, so that the caller can check that each belongs to a BatchNorm.
    /// Any other non-float32 tensor is still an error.
    public static func readTorchStateDict(from path: String) throws -> (file: SafeTensorsFile, batchCounters: [String]) {
        try decode(try contents(of: path), path: path, acceptingBatchCounters: true)
    }

    /// The byte span of the int64 scalar `name`, or `badTensor` saying why it is not one.
    static func batchCounterSpan(_ name: String, _ entry: Any, available: Int, path: String) throws -> (begin: Int, end: Int) {
        func fail(_ reason: String) -> CheckpointError {
            .badTensor(path: path, tensor: name, reason: "BatchNorm's num_batches_tracked must be an int64 scalar; \(reason)")
        }
        guard let fields = entry as? [String: Any] else { throw fail("the entry is not an object") }
        guard let dtype = fields["dtype"] as? String, dtype == "I64" else {
            throw fail("it has dtype \(fields["dtype"].map { "\($0)" } ?? "none")")
        }
        guard let shape = fields["shape"] as? [Int], shape.isEmpty else {
            throw fail("it has shape \(fields["shape"].map { "\($0)" } ?? "none")")
        }
        guard let offsets = fields["data_offsets"] as? [Int], offsets.count == 2, offsets[0] >= 0,
              offsets[1] <= available, offsets[1] - offsets[0] == 8 else {
            throw fail("its data_offsets are not 8 bytes inside the file")
        }
        return (offsets[0], offsets[1])
    }
}
