import Foundation
import Testing

@Suite("No command scores, calibrates or fits on test images", .serialized)
struct CalibrationCLITests {
    /// A data directory with the real training files and a different "test set": 256 images
    /// of noise with random labels, as plain IDX files.
    func swappedTestSet(_ directory: URL) throws -> String {
        let real = "/usr/share/datasets/fashion-mnist"
        for name in ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"] {
            try FileManager.default.createSymbolicLink(atPath: directory.appendingPathComponent(name).path,
                                                       withDestinationPath: "\(real)/\(name)")
        }
        var generator = SystemRandomNumberGenerator()
        let count = 256
        var images: [UInt8] = [0, 0, 8, 3] + bigEndian(count) + bigEndian(28) + bigEndian(28)
        images += (0..<(count * 28 * 28)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let labels: [UInt8] = [0, 0, 8, 1] + bigEndian(count) + (0..<count).map { _ in UInt8.random(in: 0...9, using: &generator) }
        try Data(images).write(to: directory.appendingPathComponent("t10k-images-idx3-ubyte"))
        try Data(labels).write(to: directory.appendingPathComponent("t10k-labels-idx1-ubyte"))
        return directory.path
    }

    func bigEndian(_ value: Int) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * (3 - $0))) & 0xFF) } }

    @Test("scores, prune (with OBS and least-squares compensation) and correlate give the same results with another test set")
    func testSetNeverDecides() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("calibration-\(UUID().uuidString)")
        let swapped = dir.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: swapped, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let dataDirs = ["/usr/share/datasets/fashion-mnist", try swappedTestSet(swapped)]
        let model = dir.appendingPathComponent("m.safetensors").path
        let train = try runShears(["train", "--width", "0.25", "--epochs", "1", "--train-limit", "512", "--test-limit", "64",
                                   "--threads", "1", "--out", model])
        #expect(train.status == 0, "\(train.error)")
        var outputs: [[Data]] = []
        for (index, dataDir) in dataDirs.enumerated() {
            var files: [Data] = []
            for criterion in ["taylor", "obs", "obd"] {
                let out = dir.appendingPathComponent("scores-\(criterion)-\(index).csv").path
                let run = try runShears(["scores", "--model", model, "--criterion", criterion, "--granularity", "filter",
                                         "--samples", "128", "--data-dir", dataDir, "--threads", "1", "--out", out])
                #expect(run.status == 0, "\(run.error)")
                files.append(try Data(contentsOf: URL(fileURLWithPath: out)))
            }
            for (criterion, compensation) in [("obs", "obs"), ("activation", "least-squares")] {
                let out = dir.appendingPathComponent("pruned-\(criterion)-\(index).safetensors").path
                let run = try runShears(["prune", "--model", model, "--criterion", criterion, "--granularity", "filter",
                                         "--ratio", "0.3", "--compensation", compensation, "--samples", "128",
                                         "--data-dir", dataDir, "--threads", "1", "--out", out])
                #expect(run.status == 0, "\(run.error)")
                files.append(try Data(contentsOf: URL(fileURLWithPath: out)))
            }
            let correlate = try runShears(["correlate", "--model", model, "--criteria", "l1,taylor", "--samples", "64",
                                           "--data-dir", dataDir, "--threads", "1"])
            #expect(correlate.status == 0, "\(correlate.error)")
            files.append(Data(correlate.output.utf8))
            outputs.append(files)
        }
        #expect(outputs[0].count == 6 && outputs[0] == outputs[1])
    }
}
