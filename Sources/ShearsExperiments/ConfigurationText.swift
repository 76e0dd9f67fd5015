import CYaml
import Foundation

/// Checks on a configuration file's raw text, before any tree is built from it: nesting
/// depth, YAML anchors and aliases (an alias bomb grows exponentially when expanded), and
/// duplicate top-level keys (JSON and YAML parsers keep the last silently).
enum ConfigurationText {
    /// Deeper nesting than any configuration needs (lists of scalars: depth 2).
    static let maximumDepth = 16
    /// More scalars than any configuration needs.
    static let maximumScalars = 100_000

    /// Walks libyaml's events (no tree, no recursion): refuses aliases, anchors, nesting
    /// deeper than `maximumDepth`, too many scalars, keys that are lists or mappings (Yams
    /// traps on those), and repeated top-level keys.
    static func checkYAML(_ text: String, source: String) throws {
        func fail(_ reason: String) -> CurveConfigurationError { .malformed(source: source, reason: reason) }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw fail("the YAML parser could not start") }
        defer { yaml_parser_delete(&parser) }
        var bytes = Array(text.utf8)
        try bytes.withUnsafeMutableBufferPointer { input in
            yaml_parser_set_input_string(&parser, input.baseAddress, input.count)
            // The open lists and mappings, innermost last; for mappings, whether a key is next.
            var open: [(isMapping: Bool, expectsKey: Bool)] = []
            var scalars = 0
            var rootKeys = Set<String>()
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
                    throw fail("not valid YAML (\(problem) at line \(parser.problem_mark.line + 1))")
                }
                defer { yaml_event_delete(&event) }
                let isKey = open.last.map { $0.isMapping && $0.expectsKey } ?? false
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return
                case YAML_ALIAS_EVENT:
                    throw fail("YAML aliases (*name) are not allowed in a configuration")
                case YAML_SCALAR_EVENT:
                    guard event.data.scalar.anchor == nil else { throw fail("YAML anchors (&name) are not allowed in a configuration") }
                    scalars += 1
                    guard scalars <= maximumScalars else { throw fail("more than \(maximumScalars) values") }
                    if isKey && open.count == 1 {
                        let key = String(decoding: UnsafeBufferPointer(start: event.data.scalar.value,
                                                                        count: event.data.scalar.length), as: UTF8.self)
                        guard rootKeys.insert(key).inserted else { throw fail("key '\(key)' appears twice") }
                    }
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    let isMapping = event.type == YAML_MAPPING_START_EVENT
                    let anchor = isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor
                    guard anchor == nil else { throw fail("YAML anchors (&name) are not allowed in a configuration") }
                    guard !isKey else { throw fail("a key is a list or mapping; keys must be plain names") }
                    guard open.count < maximumDepth else { throw fail("nested deeper than \(maximumDepth) levels") }
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    open.removeLast()
                    continue
                default:
                    continue
                }
                // A node (scalar or container) fills the enclosing mapping's key or value slot.
                if let last = open.indices.last, open[last].isMapping { open[last].expectsKey.toggle() }
                if event.type == YAML_SEQUENCE_START_EVENT || event.type == YAML_MAPPING_START_EVENT {
                    open.append((event.type == YAML_MAPPING_START_EVENT, true))
                }
            }
        }
    }

    /// Refuses nesting deeper than `maximumDepth` and repeated top-level keys in JSON text,
    /// scanning characters (strings skipped) before the text is parsed.
    static func checkJSON(_ data: Data, source: String) throws {
        func fail(_ reason: String) -> CurveConfigurationError { .malformed(source: source, reason: reason) }
        let bytes = [UInt8](data)
        var depth = 0, index = 0
        var rootKeys = Set<String>()
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                guard depth <= maximumDepth else { throw fail("nested deeper than \(maximumDepth) levels") }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
            case UInt8(ascii: "\""):
                let start = index
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                guard depth == 1, index < bytes.count else { break }
                var next = index + 1
                while next < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[next]) { next += 1 }
                guard next < bytes.count, bytes[next] == UInt8(ascii: ":") else { break }
                // A key of the top-level object: decoded as JSON so that escapes compare equal.
                if let key = try? JSONSerialization.jsonObject(with: Data(bytes[start...index]), options: .fragmentsAllowed) as? String,
                   !rootKeys.insert(key).inserted {
                    throw fail("key '\(key)' appears twice")
                }
            default:
                break
            }
            index += 1
        }
    }
}
