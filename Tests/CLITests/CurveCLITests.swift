import Foundation
import Testing

@Suite("shears curve and merge", .serialized)
struct CurveCLITests {
    /// A small curve from a quarter-width vgg-s: two criteria, three iterative steps.
    func arguments(_ out: String, checkpoint: String) -> [String] {
        ["curve", "--out", out, "--checkpoint", checkpoint, "--train-limit", "1024", "--test-limit", "200",
         "--criteria", "random,l2", "--targets", "0.6,0.4,0.2", "--fine-tune-steps", "5", "--scoring-samples", "64",
         "--threads", "1"]
    }

    /// Trains a quarter-width vgg-s briefly into `directory`.
    func smallCheckpoint(_ directory: URL) throws -> String {
        let path = directory.appendingPathComponent("base.safetensors").path
        let train = try runShears(["train", "--width", "0.25", "--epochs", "1", "--train-limit", "512", "--test-limit", "64",
                                   "--threads", "1", "--out", path])
        #expect(train.status == 0, "\(train.error)")
        return path
    }

    /// The CSV's rows without the columns that depend on the machine's speed.
    func deterministicRows(_ path: String) throws -> [String] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        let keep = header.indices.filter { !["latency_b1_ms", "latency_b256_ms", "prune_seconds", "fine_tune_seconds", "wall_seconds"].contains(header[$0]) }
        return lines.map { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return keep.map { fields[$0] }.joined(separator: ",")
        }
    }

    func dataRows(_ path: String) -> Int {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").count - 1
    }

    @Test("a run killed mid-way and restarted gives the uninterrupted run's rows, none lost or doubled")
    func killAndResume() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("curve-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let whole = dir.appendingPathComponent("whole.csv").path, killed = dir.appendingPathComponent("killed.csv").path
        let checkpoint = try smallCheckpoint(dir)
        let reference = try runShears(arguments(whole, checkpoint: checkpoint))
        #expect(reference.status == 0, "\(reference.error)")
        #expect(dataRows(whole) == 10)  // the unpruned model's row and (control + 2 criteria) x 3 steps

        // Start the same run elsewhere and kill it (SIGKILL) once some but not all rows exist.
        _ = try runShearsUntilKilled(arguments(killed, checkpoint: checkpoint), interval: 5_000) { dataRows(killed) >= 3 }
        let rowsAtKill = dataRows(killed)
        #expect(rowsAtKill >= 3 && rowsAtKill < 10, "killed with \(rowsAtKill) rows")

        let resumed = try runShears(arguments(killed, checkpoint: checkpoint))
        #expect(resumed.status == 0, "\(resumed.error)")
        #expect(try deterministicRows(killed) == deterministicRows(whole))

        // Another configuration into the same files is refused before any work.
        var other = arguments(killed, checkpoint: checkpoint)
        other[other.firstIndex(of: "5")!] = "6"
        let refused = try runShears(other)
        #expect(refused.status != 0 && refused.error.contains("manifest.json") && refused.error.contains("different configuration"))
    }

    @Test("shards merge into the whole grid; bad flags name the value")
    func shardsAndErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("curve-shards-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = try smallCheckpoint(dir)
        var shardFiles: [String] = []
        for shard in ["0/2", "1/2"] {
            let out = dir.appendingPathComponent("s\(shard.prefix(1)).csv").path
            shardFiles.append(out)
            let run = try runShears(["curve", "--checkpoint", base, "--out", out, "--shard", shard, "--criteria", "random,l1,l2",
                                     "--targets", "0.5", "--fine-tune-steps", "2", "--train-limit", "256", "--test-limit", "64",
                                     "--scoring-samples", "32", "--threads", "1"])
            #expect(run.status == 0, "\(run.error)")
        }
        // Cells control, random, l1, l2 alternate between the shards; each has the unpruned row.
        #expect(dataRows(shardFiles[0]) == 3 && dataRows(shardFiles[1]) == 3)
        let merged = dir.appendingPathComponent("merged.csv").path
        let merge = try runShears(["merge", "--out", merged] + shardFiles)
        #expect(merge.status == 0 && dataRows(merged) == 5, "\(merge.error)")
        let methods = try String(contentsOfFile: merged, encoding: .utf8).split(separator: "\n").dropFirst()
            .map { String($0.split(separator: ",")[0].prefix { $0 != "/" }) }
        #expect(methods == ["unpruned", "control", "random", "l1", "l2"])
        let summary = try runShears(["summarize", merged, "--steps", "1", "--compare", "l1/filter/iterative,control/none/iterative"])
        #expect(summary.status == 0 && summary.output.contains("| control | ") && summary.output.contains("### Step 1 ("),
                "\(summary.error)")
        // The shards as separate runs: the same per-method tables (methods in file order rather
        // than grid order), their shared unpruned row kept once.
        let combined = dir.appendingPathComponent("combined.csv").path
        let separate = try runShears(["summarize"] + shardFiles + ["--combined", combined])
        #expect(dataRows(combined) == 5, "the combined CSV holds each shard's rows and one unpruned row")
        // (The column headers name the FLOPs of the first method listed, which the order changes.)
        let tables = { (text: String) in
            Set(text.components(separatedBy: "### Step")[0].split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| method") })
        }
        #expect(separate.status == 0 && tables(separate.output) == tables(summary.output), "\(separate.error)\(separate.output)")
        // resnet-s refuses a VGG checkpoint before any work.
        let family = try runShears(["curve", "--model", "resnet-s", "--checkpoint", base, "--criteria", "l1",
                                    "--out", dir.appendingPathComponent("family.csv").path])
        #expect(family.status != 0 && family.error.contains("is not a resnet-s model: its layers differ"), "\(family.error)")
        let badSteps = try runShears(["summarize", merged, "--steps", "2"])
        #expect(badSteps.status != 0 && badSteps.error.contains("--steps takes steps 1...1"))

        // A pruning row doubled (as two runs appending to one CSV once did) is refused, naming the file.
        var lines = try String(contentsOfFile: shardFiles[0], encoding: .utf8).split(separator: "\n").map(String.init)
        lines.append(try #require(lines.dropFirst().first { !$0.hasPrefix("unpruned") }))
        try (lines.joined(separator: "\n") + "\n").write(toFile: shardFiles[0], atomically: true, encoding: .utf8)
        let doubled = dir.appendingPathComponent("doubled.csv").path
        let refused = try runShears(["merge", "--out", doubled] + shardFiles)
        #expect(refused.status == 65 && refused.error.contains(shardFiles[0]) && refused.error.contains("refusing to merge duplicates"),
                "\(refused.error)")
        #expect(!FileManager.default.fileExists(atPath: doubled))

        let badTarget = try runShears(["curve", "--targets", "0.5,0.8", "--out", dir.appendingPathComponent("x.csv").path])
        #expect(badTarget.status != 0 && badTarget.error.contains("--targets must be strictly descending"))
        let badCriterion = try runShears(["curve", "--criteria", "taylr", "--out", dir.appendingPathComponent("x.csv").path])
        #expect(badCriterion.status != 0 && badCriterion.error.contains("unknown criterion 'taylr'"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.csv").path))
    }
}
