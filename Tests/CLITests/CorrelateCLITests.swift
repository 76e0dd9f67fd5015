import Foundation
import Testing

@Suite("correlate and bench criteria run on graph networks", .serialized)
struct CorrelateCLITests {
    @Test("correlate on a resnet-s checkpoint prints one ρ per filter group, named by its first producer; the oracle against itself is 1")
    func resnetColumns() throws {
        let lines = try correlateAfterTraining(["--model", "resnet-s"])
        guard lines.count == 3 else { return }
        // resnet-s has 12 filter groups (`prune --granularity filter` reports them); a stage is
        // one group named by its first producer, the stem's conv1 or the first block's conv2.
        let columns = Array(lines[0].dropFirst().prefix { $0 != "mean" })
        #expect(columns.count == 12 && columns.first == "conv1" && columns.contains("layer2.0.conv2")
                && columns.contains("layer3.2.conv1") && Set(columns).count == 12, "\(columns)")
        for (row, name) in zip(lines.dropFirst(), ["l1", "oracle-abs"]) {
            // The name, a ρ per group, the mean and the two ends of the interval.
            #expect(row.first == name && row.count == 1 + 12 + 3, "\(row)")
            let rhos = row.dropFirst().prefix(13).compactMap(Double.init)
            #expect(rhos.count == 13 && rhos.allSatisfy { (-1...1).contains($0) }, "\(row)")
        }
        // The oracle is deterministic, so it ranks every group exactly as itself.
        #expect(lines[2].dropFirst().prefix(13).allSatisfy { $0 == "1.000" }, "\(lines[2])")
    }

    @Test("a group of one unit (vgg-s at width 0.03: convs of 1, 1, 2, 2 and 4 filters) gets `-` and stays out of the mean instead of trapping")
    func singleUnitGroups() throws {
        let lines = try correlateAfterTraining(["--model", "vgg-s", "--width", "0.03"])
        guard lines.count == 3 else { return }
        let columns = Array(lines[0].dropFirst().prefix { $0 != "mean" })
        #expect(columns.prefix(2) == ["features.0", "features.2"], "\(columns)")
        for row in lines.dropFirst() {
            let rhos = Array(row.dropFirst().prefix(columns.count))
            #expect(rhos.prefix(2) == ["-", "-"], "\(row)")
            #expect(rhos.dropFirst(2).allSatisfy { Double($0).map { (-1...1).contains($0) } ?? false }, "\(row)")
            #expect(row.count == 1 + columns.count + 3 && Double(row[1 + columns.count]) != nil, "\(row)")
        }
        // The oracle ranks itself perfectly in every group it can rank, so its mean is 1.
        #expect(lines[2][1 + columns.count] == "1.000", "\(lines[2])")
    }

    @Test("an unknown criterion is refused in one line before any checkpoint is read", arguments: [
        ["correlate", "--model", "/nonexistent.safetensors"], ["bench", "criteria"],
    ])
    func unknownCriterion(command: [String]) throws {
        let run = try runShears(command + ["--criteria", "l1,magnitude"])
        let lines = run.error.split(separator: "\n")
        #expect(run.status != 0 && lines.count == 1 && lines[0].contains("unknown criterion 'magnitude'")
                && lines[0].contains("obs-no-update"), "\(run.error)")
        #expect(run.output.isEmpty, "\(run.output)")
    }
}

extension CorrelateCLITests {
    /// Trains the model `trainArguments` name for one epoch on 64 images, runs `correlate
    /// --criteria l1,oracle-abs` on it and returns its output lines split into words (the header
    /// and one row per criterion when it succeeds; both commands are expected to).
    func correlateAfterTraining(_ trainArguments: [String]) throws -> [[String]] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shears-correlate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let checkpoint = dir.appendingPathComponent("model.safetensors").path
        let train = try runShears(["train"] + trainArguments + ["--epochs", "1", "--train-limit", "64", "--test-limit", "16",
                                                                "--batch-size", "32", "--threads", "1", "--out", checkpoint])
        #expect(train.status == 0, "\(train.error)")
        let correlate = try runShears(["correlate", "--model", checkpoint, "--criteria", "l1,oracle-abs", "--samples", "8",
                                       "--threads", "1"])
        #expect(correlate.status == 0, "\(correlate.error)")
        let lines = correlate.output.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(lines.count == 3, "\(correlate.output)")
        return lines
    }

    @Test("bench criteria refuses, before scoring anything, a criterion that applies to no filter group of vgg-s (bn-scale, no BatchNorm)")
    func inapplicableCriterion() throws {
        let run = try runShears(["bench", "criteria", "--criteria", "l1,bn-scale", "--samples", "16", "--threads", "1"])
        #expect(run.status != 0 && run.error.contains("criterion 'bn-scale' applies to none of its groups"), "\(run.error)")
        #expect(!run.output.contains("seconds"), "nothing is timed: \(run.output)")
    }
}
