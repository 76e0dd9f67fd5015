import Foundation
import Testing

@Suite("Reproducibility", .serialized)
struct ReproducibilityCLITests {
    /// Swift seeds `Hasher` per process unless `SWIFT_DETERMINISTIC_HASHING` is true, so these
    /// two environments walk every dictionary and set in different orders ("0" is read as
    /// false: a random seed, as when the variable is unset).
    static let hashSeeds = [["SWIFT_DETERMINISTIC_HASHING": "1"], ["SWIFT_DETERMINISTIC_HASHING": "0"]]

    @Test("train, scores and prune write the same bytes under a fixed and a random hash seed")
    func hashSeedIndependence() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shears-hash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // Filter pruning folds the removed filters' constant outputs into the first linear
        // layer's bias: a Float sum over many inputs, once taken in dictionary order (110 of
        // its 256 values then differed between seeds), and the architecture metadata's JSON
        // keys came out in hash order.
        let commands: [(name: String, arguments: (String) -> [String])] = [
            ("m.safetensors", { ["train", "--width", "0.25", "--epochs", "1", "--train-limit", "256", "--test-limit", "64",
                                 "--out", $0] }),
            ("scores.csv", { ["scores", "--model", dir.appendingPathComponent("m-0.safetensors").path, "--criterion", "taylor",
                              "--granularity", "filter", "--samples", "32", "--out", $0] }),
            ("p.safetensors", { ["prune", "--model", dir.appendingPathComponent("m-0.safetensors").path, "--criterion", "taylor",
                                 "--granularity", "filter", "--ratio", "0.5", "--samples", "32", "--test-limit", "64",
                                 "--out", $0] }),
        ]
        for command in commands {
            var files: [Data] = []
            for (index, environment) in Self.hashSeeds.enumerated() {
                let name = command.name.replacingOccurrences(of: ".", with: "-\(index).")
                let path = dir.appendingPathComponent(name).path
                let run = try runShears(command.arguments(path), environment: environment)
                #expect(run.status == 0, "\(command.name): \(run.error)")
                files.append(try Data(contentsOf: URL(fileURLWithPath: path)))
            }
            #expect(files[0] == files[1], "\(command.name) differs between hash seeds")
        }
    }
}
