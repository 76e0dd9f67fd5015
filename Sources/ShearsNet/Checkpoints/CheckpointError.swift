/// A checkpoint that cannot be read or written, naming the file and what is wrong.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    /// The file is missing, a directory, or not readable.
    case unreadable(path: String, reason: String)
    /// The file, or its temporary sibling, cannot be written.
    case unwritable(path: String, reason: String)
    /// The bytes are not a well-formed safetensors file (header, offsets, size limit), or the resume metadata is
    /// inconsistent.
    case malformed(path: String, reason: String)
    /// One tensor is unusable: its header entry lacks a valid shape, dtype or offsets, or its values are wrong for
    /// their role (a mask not 0/1, a negative variance, a momentum buffer of another shape).
    case badTensor(path: String, tensor: String, reason: String)
    /// A tensor is stored in a type other than `F32`, the only one Shears reads.
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// The tensors do not fit the architecture in the metadata or the one asked for (a missing or extra tensor,
    /// another model family, another run's recipe).
    case architectureMismatch(path: String, reason: String)
    /// A tensor holds `count` NaN or infinite values out of `total`; such a model would only propagate them.
    case nonFinite(path: String, tensor: String, count: Int, total: Int)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "\(path): cannot read: \(reason)"
        case let .unwritable(path, reason): return "\(path): cannot write: \(reason)"
        case let .malformed(path, reason): return "\(path): not a valid safetensors file: \(reason)"
        case let .badTensor(path, tensor, reason): return "\(path): tensor '\(tensor)': \(reason)"
        case let .unsupportedDType(path, tensor, dtype):
            return "\(path): tensor '\(tensor)' has dtype \(dtype); only F32 is supported"
        case let .architectureMismatch(path, reason): return "\(path): does not fit its architecture: \(reason)"
        case let .nonFinite(path, tensor, count, total):
            return "\(path): tensor '\(tensor)' holds \(count) NaN or infinite values of \(total); refusing to use it"
        }
    }
}

/// A decoding error as the key path and what is wrong with it, on one line.
func describe(decodingError error: Error) -> String {
    func path(_ context: DecodingError.Context) -> String {
        let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return keys.isEmpty ? "the top level" : String(keys.drop { $0 == "." })
    }
    switch error as? DecodingError {
    case let .typeMismatch(type, context)?: return "\(path(context)) must be \(type == Int.self ? "an integer" : "\(type)")"
    case let .valueNotFound(_, context)?: return "\(path(context)) is missing"
    case let .keyNotFound(key, context)?: return "\(path(context)).\(key.stringValue) is missing"
    case let .dataCorrupted(context)?: return "\(path(context)): \(context.debugDescription)"
    default: return "\(error)"
    }
}
