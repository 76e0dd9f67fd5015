import Foundation
import Testing

/// Runs the built `shears` binary, as a user would.
func runShears(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
    let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = testBinary.deletingLastPathComponent()
    // The test bundle may sit inside `<products>/ShearsPackageTests.xctest/...`.
    while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("shears").path),
          directory.path != "/" {
        directory = directory.deletingLastPathComponent()
    }
    let process = Process()
    process.executableURL = directory.appendingPathComponent("shears")
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let output = out.fileHandleForReading.readDataToEndOfFile(), error = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: error, as: UTF8.self))
}

@Suite("The shears command line", .serialized)
struct CLITests {
    @Test("env names OpenBLAS and its thread count")
    func env() throws {
        let result = try runShears(["env"])
        #expect(result.status == 0)
        #expect(result.output.contains("OpenBLAS") && result.output.contains("blas threads"))
    }

    @Test("train on a subset writes a checkpoint that eval reads; the loss falls")
    func trainAndEval() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shears-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let checkpoint = dir.appendingPathComponent("small.safetensors").path
        let train = try runShears(["train", "--width", "0.25", "--epochs", "2", "--train-limit", "1024", "--test-limit", "256",
                                   "--batch-size", "32", "--learning-rate", "0.05", "--threads", "2", "--out", checkpoint])
        #expect(train.status == 0, "\(train.error)")
        let losses = train.output.split(separator: "\n").compactMap { line -> Double? in
            guard let range = line.range(of: "train loss ") else { return nil }
            return Double(line[range.upperBound...].prefix { $0 != "," })
        }
        #expect(losses.count == 2 && losses[1] < losses[0] && losses[0] < 2.3, "losses \(losses)")
        #expect(train.error.contains("step") && train.error.contains("img/s") && train.error.contains("ETA"))
        let eval = try runShears(["eval", "--model", checkpoint, "--test-limit", "256"])
        #expect(eval.status == 0 && eval.output.contains("256 test images"), "\(eval.error)")
    }

    @Test("bad input: unknown model, missing data, corrupt checkpoint give one clear line and a non-zero exit")
    func badInput() throws {
        let unknown = try runShears(["train", "--model", "resnet", "--out", "/tmp/x.safetensors"])
        #expect(unknown.status != 0 && unknown.error.contains("unknown --model 'resnet'"))
        let noData = try runShears(["train", "--data-dir", "/nonexistent", "--out", "/tmp/x.safetensors"])
        #expect(noData.status != 0 && noData.error.contains("dataset-fashion-mnist"))
        let corrupt = FileManager.default.temporaryDirectory.appendingPathComponent("corrupt-\(UUID().uuidString).safetensors")
        try Data([1, 2, 3]).write(to: corrupt)
        let eval = try runShears(["eval", "--model", corrupt.path])
        #expect(eval.status != 0 && eval.error.contains(corrupt.lastPathComponent))
    }
}
