/// A checkpoint that cannot be read or written, naming the file and what is wrong.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case unwritable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case badTensor(path: String, tensor: String, reason: String)
    case unsupportedDType(path: String, tensor: String, dtype: String)
    case architectureMismatch(path: String, reason: String)
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
