import Foundation
import Testing

/// Bad command lines and inputs (issue 12): one line naming the flag, file or key, the
/// documented exit code (64 usage, 65 data, 75 busy), no backtrace, no output file.
@Suite("The command line refuses bad input", .serialized)
struct HardeningCLITests {
    func temporary() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shears-hard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// One line on standard error, no crash report.
    func isOneLine(_ error: String) -> Bool {
        error.split(separator: "\n").count == 1 && !error.contains("Fatal error") && !error.contains("Stack dump")
    }

    @Test("batch sizes of 0 or below are refused, not looped on or trapped on", arguments: ["0", "-3", "100000"])
    func evalBatchSize(value: String) throws {
        let result = try runShears(["eval", "--model", "/nonexistent.safetensors", "--batch-size", value])
        #expect(result.status == 64 && result.error.contains("--batch-size must be in 1...1024, got \(value)"), "\(result.error)")
        #expect(isOneLine(result.error))
    }

    @Test("a negative --ratio parses and gets the range error")
    func negativeRatio() throws {
        let result = try runShears(["prune", "--model", "m.safetensors", "--criterion", "l1", "--granularity", "filter",
                                    "--ratio", "-0.1", "--out", "/tmp/never.safetensors"])
        #expect(result.status == 64 && result.error.contains("--ratio must be in [0, 1), got -0.1"), "\(result.error)")
    }

    @Test("lp:0 and lp:inf are accepted as --help says; lp:-1 and lp:nan are refused")
    func lpNames() throws {
        for name in ["lp:0", "lp:inf"] {
            let result = try runShears(["scores", "--model", "/nonexistent.safetensors", "--criterion", name,
                                        "--granularity", "filter", "--out", "/tmp/never.csv"])
            // Past validation: the failure is the missing checkpoint (a data error).
            #expect(result.status == 65 && result.error.contains("no such file"), "\(name): \(result.error)")
        }
        for name in ["lp:-1", "lp:nan"] {
            let result = try runShears(["scores", "--model", "/nonexistent.safetensors", "--criterion", name,
                                        "--granularity", "filter", "--out", "/tmp/never.csv"])
            #expect(result.status == 64 && result.error.contains("unknown criterion '\(name)'"), "\(name): \(result.error)")
        }
    }

    @Test("a directory given as --model is named as a directory")
    func modelDirectory() throws {
        let dir = try temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try runShears(["eval", "--model", dir.path])
        #expect(result.status == 65 && result.error.contains("\(dir.path): cannot read: it is a directory"), "\(result.error)")
        #expect(isOneLine(result.error))
    }

    /// A valid checkpoint of a linear classifier for `size x size` single-channel images.
    func linearCheckpoint(size: Int, classes: Int = 10, in dir: URL) throws -> String {
        let weights = classes * size * size
        let architecture = #"{\"batchNorm\":false,\"classes\":\#(classes),\"features\":[],\"hidden\":[],\"inputChannels\":1,\"inputSize\":\#(size)}"#
        let header = #"{"__metadata__":{"shears.architecture":"\#(architecture)"},"classifier.0.bias":{"data_offsets":[0,\#(4 * classes)],"dtype":"F32","shape":[\#(classes)]},"#
            + #""classifier.0.weight":{"data_offsets":[\#(4 * classes),\#(4 * classes + 4 * weights)],"dtype":"F32","shape":[\#(classes),\#(size * size)]}}"#
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) } + Array(header.utf8)
        bytes += [UInt8](repeating: 0, count: 4 * classes + 4 * weights)
        let path = dir.appendingPathComponent("linear\(size)x\(classes).safetensors").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("a checkpoint for other than 28x28 images is refused before its forward pass could trap")
    func modelInputShape() throws {
        let dir = try temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let other = try linearCheckpoint(size: 8, in: dir)
        let info = try runShears(["info", other])
        #expect(info.status == 0, "\(info.error)")
        let eval = try runShears(["eval", "--model", other, "--test-limit", "16"])
        #expect(eval.status == 65 && eval.error.contains("the model takes 1x8x8 images; Fashion-MNIST's are 1x28x28"), "\(eval.error)")
        #expect(isOneLine(eval.error))
        let fewClasses = try runShears(["eval", "--model", try linearCheckpoint(size: 28, classes: 2, in: dir), "--test-limit", "16"])
        #expect(fewClasses.status == 65 && fewClasses.error.contains("the model has 2 classes; Fashion-MNIST has 10"), "\(fewClasses.error)")
        let fitting = try runShears(["eval", "--model", try linearCheckpoint(size: 28, in: dir), "--test-limit", "16"])
        #expect(fitting.status == 0 && fitting.output.contains("16 test images"), "\(fitting.error)")
    }

    @Test("env, info and merge take --threads; eval refuses options it would ignore")
    func threadsEverywhere() throws {
        let env = try runShears(["env", "--threads", "1"])
        #expect(env.status == 0 && env.output.contains("workers") && env.output.contains("1 (--threads)"), "\(env.error)")
        let info = try runShears(["info", "/nonexistent.safetensors", "--threads", "1"])
        #expect(info.status == 65 && info.error.contains("no such file"), "\(info.error)")
        let merge = try runShears(["merge", "--threads", "1", "--out", "/tmp/never.csv", "/nonexistent.csv"])
        #expect(merge.status == 65 && merge.error.contains("/nonexistent.manifest.json"), "\(merge.error)")
        for option in [["--seed", "3"], ["--train-limit", "10"]] {
            let eval = try runShears(["eval", "--model", "/nonexistent.safetensors"] + option)
            #expect(eval.status == 64 && eval.error.contains("Unknown option '\(option[0])'"), "\(eval.error)")
        }
        let zero = try runShears(["env", "--threads", "0"])
        #expect(zero.status == 64 && zero.error.contains("--threads must be in 1...256, got 0"))
    }

    @Test("curve refuses an --out directory or a foreign CSV before any work")
    func curveOutputs() throws {
        let dir = try temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let start = Date()
        let directory = try runShears(["curve", "--out", dir.path, "--train-limit", "64"])
        #expect(directory.status == 65 && directory.error.contains("\(dir.path): is a directory"), "\(directory.error)")
        let foreign = dir.appendingPathComponent("foreign.csv")
        try "name,value\na,1\n".write(to: foreign, atomically: true, encoding: .utf8)
        let refused = try runShears(["curve", "--out", foreign.path, "--train-limit", "64"])
        #expect(refused.status == 65 && refused.error.contains("foreign.csv:1: expected the header"), "\(refused.error)")
        // Training the base model takes far longer than refusing.
        #expect(Date().timeIntervalSince(start) < 20)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("foreign.state").path))
        #expect(try String(contentsOf: foreign, encoding: .utf8) == "name,value\na,1\n")
    }

    @Test("curve errors name the flag or the file that caused them, both with exit code 64")
    func curveErrorSources() throws {
        let dir = try temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("grid.json")
        try #"{"flopsTargets": [0.5, 0.25]}"#.write(to: config, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("x.csv").path
        let flag = try runShears(["curve", "--config", config.path, "--targets", "0.5,0.8", "--out", out])
        #expect(flag.status == 64 && flag.error.contains("--targets must be strictly descending"), "\(flag.error)")
        #expect(!flag.error.contains("grid.json"))
        let graph = try runShears(["curve", "--model", "resnet-s", "--granularities", "filter,neuron", "--out", out])
        #expect(graph.status == 64 && graph.error.contains("--granularities has 'neuron', which resnet-s does not have"), "\(graph.error)")
        let bad = dir.appendingPathComponent("bad.json")
        try #"{"batchSize": 0}"#.write(to: bad, atomically: true, encoding: .utf8)
        let file = try runShears(["curve", "--config", bad.path, "--out", out])
        #expect(file.status == 64 && file.error.contains("bad.json: 'batchSize' is 0, must be in 1...1024"), "\(file.error)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("train refuses an --out directory before training")
    func trainOutDirectory() throws {
        let dir = try temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try runShears(["train", "--train-limit", "64", "--out", dir.path])
        #expect(result.status == 64 && result.error.contains("--out \(dir.path) is a directory"), "\(result.error)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test("a second curve on the same --out is refused while the first holds the lock")
    func curveLock() throws {
        let dir = try temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("c.csv").path
        // This process plays the first run: it holds the lock file's flock.
        let descriptor = open(dir.appendingPathComponent("c.lock").path, O_CREAT | O_RDWR, 0o644)
        #expect(descriptor >= 0)
        #expect(flock(descriptor, LOCK_EX | LOCK_NB) == 0)
        let second = try runShears(["curve", "--out", out, "--train-limit", "64"])
        #expect(second.status == 75 && second.error.contains("another shears curve is writing \(out)"), "\(second.error)")
        #expect(!FileManager.default.fileExists(atPath: out))
        close(descriptor)
    }

    @Test("a diverging training run stops with the step named and writes nothing")
    func divergence() throws {
        let dir = try temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("m.safetensors").path
        let result = try runShears(["train", "--width", "0.25", "--epochs", "1", "--train-limit", "512", "--test-limit", "32",
                                    "--learning-rate", "10", "--batch-size", "8", "--threads", "1", "--out", out])
        #expect(result.status == 1 && result.error.contains("training diverged: loss is") && result.error.contains("step"),
                "\(result.error)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
