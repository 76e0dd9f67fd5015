import Foundation
@testable import ShearsExperiments
import ShearsPrune
import Testing

/// Hostile configuration files (issue 12): refused by key and source, without building
/// deep or exponentially large trees.
@Suite("curve configurations from untrusted sources")
struct ConfigurationHardeningTests {
    func error(_ text: String, _ source: String) -> String {
        do {
            _ = try CurveConfiguration.load(file: Data(text.utf8), source: source)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test("10,000 nested brackets are refused by depth, in YAML and JSON", arguments: ["c.yaml", "c.json"])
    func depth(source: String) {
        let deep = "{\"seeds\": " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}"
        #expect(error(deep, source) == "\(source): nested deeper than \(ConfigurationText.maximumDepth) levels")
        let block = "seeds:\n" + String(repeating: "- ", count: 10_000) + "1\n"
        #expect(error(block, "c.yaml") == "c.yaml: nested deeper than \(ConfigurationText.maximumDepth) levels")
    }

    @Test("a billion-laughs alias bomb is refused before expansion, also under unknown keys")
    func aliasBomb() {
        var lines = ["a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"]
        for level in 1..<9 {
            let previous = Character(UnicodeScalar(UInt8(ascii: "a") + UInt8(level - 1)))
            let name = Character(UnicodeScalar(UInt8(ascii: "a") + UInt8(level)))
            lines.append("\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]")
        }
        let start = Date()
        #expect(error(lines.joined(separator: "\n"), "bomb.yaml") == "bomb.yaml: YAML anchors (&name) are not allowed in a configuration")
        #expect(Date().timeIntervalSince(start) < 1)
        #expect(error("seeds: *x", "c.yaml") == "c.yaml: YAML aliases (*name) are not allowed in a configuration")
    }

    @Test("a list or mapping as a key is refused (Yams traps on it; found by fuzzing)")
    func complexKey() {
        #expect(error(#"{"seeds": [1], [0]: 1}"#, "c.yaml") == "c.yaml: a key is a list or mapping; keys must be plain names")
        #expect(error("? {a: 1}\n: 2\n", "c.yaml") == "c.yaml: a key is a list or mapping; keys must be plain names")
        #expect(error("seeds: [{[1]: 2}]\n", "c.yaml") == "c.yaml: a key is a list or mapping; keys must be plain names")
    }

    @Test("duplicate keys are refused, in YAML and JSON")
    func duplicates() {
        #expect(error("seeds: [1]\nseeds: [2]\n", "c.yaml") == "c.yaml: key 'seeds' appears twice")
        #expect(error(#"{"seeds": [1], "see\u0064s": [2]}"#, "c.json") == "c.json: key 'seeds' appears twice")
        // The same name in different places is not a duplicate.
        #expect(error(#"{"criteria": ["l1", "l2"], "model": "vgg-s"}"#, "c.json") == "no error")
    }

    @Test("wrong types name the key and say what it must be, in the file's terms",
          arguments: [
              (#"{"seeds": [1e300]}"#, "c.json: 'seeds' must be a list of integers >= 0"),
              (#"{"seeds": [1.5]}"#, "c.json: 'seeds' must be a list of integers >= 0"),
              (#"{"seeds": [true]}"#, "c.json: 'seeds' must be a list of integers >= 0"),
              (#"{"trainEpochs": 99999999999999999999999}"#, "c.json: 'trainEpochs' must be an integer"),
              (#"{"batchSize": 1e300}"#, "c.json: 'batchSize' must be an integer"),
              (#"{"criteria": [["l1"]]}"#, "c.json: 'criteria' must be a list of strings"),
              (#"{"flopsTargets": "half"}"#, "c.json: 'flopsTargets' must be a list of finite numbers"),
              ("seeds: [99999999999999999999999]", "c.yaml: 'seeds' must be a list of integers >= 0"),
              ("fineTuneLearningRate: .inf", "c.yaml: 'fineTuneLearningRate' must be a finite number"),
              // Sexagesimal integers overflowed inside Yams' YAML 1.1 constructor (scripts/fuzz).
              ("seeds: [-5555555555555555555:56]", "c.yaml: 'seeds' must be a list of integers >= 0"),
              ("trainEpochs: 1:30", "c.yaml: 'trainEpochs' must be an integer"),
              ("holdOutCalibration: yes", "c.yaml: 'holdOutCalibration' must be true or false"),
              ("seeds: ['7']", "c.yaml: 'seeds' must be a list of integers >= 0"),
          ])
    func types(text: String, expected: String) {
        #expect(error(text, text.hasPrefix("{") ? "c.json" : "c.yaml") == expected)
    }

    @Test("numbers beyond what can run are refused with the key and its range",
          arguments: [
              (#"{"batchSize": 9223372036854775807}"#, "'batchSize' is 9223372036854775807, must be in 1...1024"),
              (#"{"fineTuneSteps": 1000000000000}"#, "'fineTuneSteps' is 1000000000000, must be in 0...1000000"),
              (#"{"trainEpochs": 100000}"#, "'trainEpochs' is 100000, must be in 0...1000"),
              (#"{"scoringSamples": 0}"#, "'scoringSamples' is 0, must be in 1...5000"),
              (#"{"testLimit": -1}"#, "'testLimit' is -1, must be in 0...10000"),
              (#"{"fineTuneLearningRate": 1e30}"#, "'fineTuneLearningRate' is 1e+30, must be in (0, 10]"),
          ])
    func bounds(text: String, expected: String) {
        #expect(error(text, "c.json") == "c.json: " + expected)
    }

    @Test("a model preset for other images than Fashion-MNIST's is refused before training")
    func modelInput() {
        #expect(error(#"{"model": "vgg11"}"#, "c.json") == "c.json: 'model' is 'vgg11', which takes 3x32x32 images; Fashion-MNIST's are 1x28x28")
    }

    @Test("a negative seed names its key")
    func negativeSeed() {
        #expect(error(#"{"seeds": [-1]}"#, "c.json") == "c.json: 'seeds' must be a list of integers >= 0")
    }
}
