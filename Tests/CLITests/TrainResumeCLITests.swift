import Foundation
import Testing

@Suite("shears train resumes after a kill", .serialized)
struct TrainResumeCLITests {
    func arguments(_ out: String) -> [String] {
        ["train", "--width", "0.25", "--epochs", "3", "--train-limit", "1024", "--test-limit", "128", "--batch-size", "32",
         "--threads", "1", "--out", out]
    }

    @Test("kill -9 after the first epoch's checkpoint, then the same command: the uninterrupted run's bytes")
    func killAndResume() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("train-resume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let whole = dir.appendingPathComponent("whole.safetensors").path
        let killed = dir.appendingPathComponent("killed.safetensors").path
        let reference = try runShears(arguments(whole))
        #expect(reference.status == 0, "\(reference.error)")
        #expect(!FileManager.default.fileExists(atPath: whole + ".resume"))

        let ended = try runShearsUntilKilled(arguments(killed)) { FileManager.default.fileExists(atPath: killed + ".resume") }
        #expect(ended == .uncaughtSignal, "the run ended before it could be killed")
        #expect(FileManager.default.fileExists(atPath: killed + ".resume") && !FileManager.default.fileExists(atPath: killed))

        let resumed = try runShears(arguments(killed))
        #expect(resumed.status == 0, "\(resumed.error)")
        #expect(resumed.error.contains("resuming from \(killed).resume after epoch"), "\(resumed.error)")
        let epochLines = resumed.output.split(separator: "\n").filter { $0.hasPrefix("epoch ") }
        #expect(epochLines.count < 3, "the resumed run retrained from the start: \(epochLines)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: killed)) == Data(contentsOf: URL(fileURLWithPath: whole)))
        #expect(!FileManager.default.fileExists(atPath: killed + ".resume"))

        // A different command over the same checkpoint is refused rather than mixed in.
        try Data(contentsOf: URL(fileURLWithPath: whole)).write(to: URL(fileURLWithPath: killed + ".resume"))
        var other = arguments(killed)
        other[other.firstIndex(of: "32")!] = "16"
        let refused = try runShears(other)
        #expect(refused.status == 65 && refused.error.contains("was written by another run ('batch_size' is 32, now 16)"),
                "\(refused.error)")
    }
}

@Suite("shears curve resumes its base training after a kill", .serialized)
struct CurveBaseResumeCLITests {
    func arguments(_ out: String) -> [String] {
        ["curve", "--out", out, "--train-epochs", "3", "--train-limit", "512", "--test-limit", "64", "--criteria", "random",
         "--targets", "0.5", "--fine-tune-steps", "2", "--scoring-samples", "16", "--threads", "1"]
    }

    @Test("kill -9 after the base model's first epoch, then the same command: the uninterrupted base model's bytes")
    func killDuringBaseTraining() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("curve-base-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let whole = dir.appendingPathComponent("whole.csv").path, killed = dir.appendingPathComponent("killed.csv").path
        let reference = try runShears(arguments(whole))
        #expect(reference.status == 0, "\(reference.error)")

        let resumeFile = dir.appendingPathComponent("killed.state/base-seed1.safetensors.resume").path
        let ended = try runShearsUntilKilled(arguments(killed)) { FileManager.default.fileExists(atPath: resumeFile) }
        #expect(ended == .uncaughtSignal, "the run ended before it could be killed")
        #expect(FileManager.default.fileExists(atPath: resumeFile))

        let resumed = try runShears(arguments(killed))
        #expect(resumed.status == 0, "\(resumed.error)")
        // Resumed, not retrained: the first epoch's progress line appears only in the reference.
        #expect(reference.error.contains("epoch 1/3") && !resumed.error.contains("epoch 1/3") && resumed.error.contains("epoch 3/3"),
                "\(resumed.error)")
        let base = { (csv: String) in try Data(contentsOf: URL(fileURLWithPath: String(csv.dropLast(4)) + ".state/base-seed1.safetensors")) }
        #expect(try base(killed) == base(whole))
        #expect(!FileManager.default.fileExists(atPath: resumeFile))
    }
}
