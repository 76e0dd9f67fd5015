import Foundation
import Yams

/// Reads a composed YAML document as the JSON-like values `CurveConfiguration` merges, with
/// Swift's checked parsers instead of Yams' YAML 1.1 scalar constructors: those multiply
/// sexagesimal integers (`-5555555555555555555:56`) without an overflow check and trap, which
/// `scripts/fuzz config` found. Plain scalars follow the YAML 1.2 core schema (null, booleans,
/// decimal integers, floats with `.inf` and `.nan`); an integer too large for `Int` stays text,
/// so its key is refused by type. Quoted scalars are always strings.
enum YAMLValues {
    /// The document in `text` as nested `[String: Any]`, `[Any]` and scalars; nil when empty.
    static func parse(_ text: String) throws -> Any? {
        try Yams.compose(yaml: text, .basic).map(value(of:))
    }

    private static func value(of node: Node) -> Any {
        switch node {
        case let .scalar(scalar):
            return scalar.style == .plain || scalar.style == .any ? plain(scalar.string) : scalar.string
        case let .sequence(sequence):
            return sequence.map(value(of:))
        case let .mapping(mapping):
            // Keys are plain names (ConfigurationText.checkYAML refuses lists and mappings as keys).
            return Dictionary(mapping.map { (key: $0.key.string ?? "", value: value(of: $0.value)) },
                              uniquingKeysWith: { first, _ in first })
        }
    }

    private static let nulls: Set<String> = ["", "~", "null", "Null", "NULL"]
    private static let booleans: [String: Bool] = ["true": true, "True": true, "TRUE": true,
                                                   "false": false, "False": false, "FALSE": false]
    private static let specialFloats: [String: Double] = [
        ".inf": .infinity, ".Inf": .infinity, ".INF": .infinity, "+.inf": .infinity, "+.Inf": .infinity,
        "+.INF": .infinity, "-.inf": -.infinity, "-.Inf": -.infinity, "-.INF": -.infinity,
        ".nan": .nan, ".NaN": .nan, ".NAN": .nan,
    ]
    private static let decimalCharacters = Set("0123456789+-.eE")

    /// A plain scalar's value under the YAML 1.2 core schema.
    private static func plain(_ text: String) -> Any {
        if nulls.contains(text) { return NSNull() }
        if let boolean = booleans[text] { return boolean }
        if let special = specialFloats[text] { return special }
        // Double(_:) also reads "nan", "infinity" and hex; only decimal spellings count here.
        guard text.allSatisfy(decimalCharacters.contains) else { return text }
        if let integer = Int(text) { return integer }
        // Digits without a point or exponent that Int refused are too large: they stay text.
        guard text.contains(where: { ".eE".contains($0) }) else { return text }
        return Double(text) ?? text
    }
}
