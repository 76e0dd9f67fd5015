import Foundation

/// What a configuration key holds, checked on the parsed value before decoding, so that a
/// wrong type is named in the file's terms ("a list of integers") with its key.
enum ValueKind {
    case string, integer, number, boolean, strings, integers, numbers

    /// The kind of every key of `CurveConfiguration` (a key missing here is still decoded and
    /// checked, with the decoder's wording).
    static let of: [String: ValueKind] = [
        "preset": .string, "model": .string, "checkpoint": .string, "trainEpochs": .integer, "criteria": .strings,
        "granularities": .strings, "schedules": .strings, "seeds": .integers, "flopsTargets": .numbers,
        "fineTuneSteps": .integer, "fineTuneLearningRate": .number, "batchSize": .integer, "scoringSamples": .integer,
        "ranking": .string, "compensation": .string, "testLimit": .integer, "trainLimit": .integer,
        "latencyImages": .integer, "penaltyStrengths": .numbers, "minLayerKeep": .number, "obsDamping": .number,
        "holdOutCalibration": .boolean, "flopsPerStep": .number, "stepFineTuneSteps": .integer,
        "roundTo": .integer,
    ]

    var name: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .number: return "a finite number"
        case .boolean: return "true or false"
        case .strings: return "a list of strings"
        case .integers: return "a list of integers >= 0"
        case .numbers: return "a list of finite numbers"
        }
    }

    /// Why `value` (from JSONSerialization or Yams) is not of this kind, or nil.
    func problem(_ value: Any) -> String? {
        let fits: Bool
        switch self {
        case .string: fits = value is String
        case .integer: fits = Self.integer(value)
        case .number: fits = Self.number(value)
        case .boolean: fits = value is Bool && (value as? NSNumber).map { String(cString: $0.objCType) == "c" } ?? true
        case .strings: fits = (value as? [Any])?.allSatisfy { $0 is String } ?? false
        case .integers: fits = (value as? [Any])?.allSatisfy { Self.integer($0) && ($0 as? Int ?? -1) >= 0 } ?? false
        case .numbers: fits = (value as? [Any])?.allSatisfy(Self.number) ?? false
        }
        return fits ? nil : "must be \(name)"
    }

    /// A whole number that fits `Int`; the key's range is checked by `validate`.
    static func integer(_ value: Any) -> Bool {
        numeric(value).map { $0 as? Int != nil } ?? false
    }

    static func number(_ value: Any) -> Bool {
        numeric(value).map { ($0 as? Double)?.isFinite ?? false } ?? false
    }

    /// `value` as a number, or nil for anything else, booleans included: Foundation bridges
    /// JSON's `true` and `1` alike to `Bool`, so booleans are told apart by their C type.
    private static func numeric(_ value: Any) -> NSNumber? {
        guard let number = value as? NSNumber, !(number is NSDecimalNumber),
              String(cString: number.objCType) != "c" else { return nil }
        return number
    }
}

extension DecodingError {
    /// The dotted key path the error is about (`seeds.1`), or `(top level)`.
    var keyPath: String {
        let context: Context
        switch self {
        case let .typeMismatch(_, c), let .valueNotFound(_, c), let .keyNotFound(_, c), let .dataCorrupted(c): context = c
        @unknown default: return "(top level)"
        }
        let path = context.codingPath.map(\.stringValue).joined(separator: ".")
        return path.isEmpty ? "(top level)" : path
    }

    var reason: String {
        switch self {
        case let .typeMismatch(type, _), let .valueNotFound(type, _):
            return "must be " + (type == Int.self || type == UInt64.self ? "an integer" : type == Double.self ? "a number"
                                 : type == String.self ? "a string" : "of another type")
        case let .dataCorrupted(context): return "has an invalid value (\(context.debugDescription))"
        case .keyNotFound: return "is missing"
        @unknown default: return "is invalid"
        }
    }
}
