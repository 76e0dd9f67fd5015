import Foundation
import ShearsNet
import Testing

/// The built `shears` binary beside the test bundle.
func shearsExecutable() -> URL {
    let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = testBinary.deletingLastPathComponent()
    // The test bundle may sit inside `<products>/ShearsPackageTests.xctest/...`.
    while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("shears").path),
          directory.path != "/" {
        directory = directory.deletingLastPathComponent()
    }
    return directory.appendingPathComponent("shears")
}

/// Runs the built `shears` binary, as a user would, with `environment` added to the test's own.
func runShears(_ arguments: [String],
               environment: [String: String] = [:]) throws -> (status: Int32, output: String, error: String) {
    let process = Process()
    process.executableURL = shearsExecutable()
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let output = out.fileHandleForReading.readDataToEndOfFile(), error = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: error, as: UTF8.self))
}

/// Starts the built `shears` binary and SIGKILLs it as soon as `ready()` holds (polled every
/// `interval` microseconds, for at most 10 minutes); returns how it ended.
func runShearsUntilKilled(_ arguments: [String], interval: useconds_t = 2_000,
                          when ready: () -> Bool) throws -> Process.TerminationReason {
    let process = Process()
    process.executableURL = shearsExecutable()
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(600)
    while !ready() && process.isRunning && Date() < deadline { usleep(interval) }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    return process.terminationReason
}

@Suite("The shears command line", .serialized)
struct CLITests {
    @Test("env names OpenBLAS, its thread count and the direct convolution's and Winograd tiles' code")
    func env() throws {
        let result = try runShears(["env"])
        #expect(result.status == 0)
        #expect(result.output.contains("OpenBLAS") && result.output.contains("blas threads"))
        #expect(result.output.contains(Conv2D.directKernelsAreFast ? "direct conv      AVX2 + FMA" : "direct conv      portable"))
        #expect(result.output.contains(Conv2D.winogradTilesAreFast ? "winograd tiles   AVX-512" : "winograd tiles   portable"))
    }

    @Test("SHEARS_MAX_ISA caps the kernels: avx2 keeps them off AVX-512, none runs the plain C; other values are refused")
    func instructionSetCap() throws {
        let avx2 = try runShears(["env"], environment: ["SHEARS_MAX_ISA": "avx2"])
        #expect(avx2.status == 0)
        #expect(avx2.output.contains(Conv2D.directKernelsAreFast ? "winograd tiles   AVX2 + FMA kernels for F(4x4, 3x3)"
                                                                 : "winograd tiles   portable"))
        let none = try runShears(["env"], environment: ["SHEARS_MAX_ISA": "none"])
        #expect(none.status == 0)
        #expect(none.output.contains("direct conv      portable") && none.output.contains("winograd tiles   portable"))
        let typo = try runShears(["env"], environment: ["SHEARS_MAX_ISA": "avx-2"])
        #expect(typo.status == 64 && typo.error.contains("SHEARS_MAX_ISA must be avx2 or none") && typo.output.isEmpty,
                "\(typo.error)")
    }

    @Test("train on a subset writes a checkpoint that eval reads; the loss falls")
    func trainAndEval() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shears-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let checkpoint = dir.appendingPathComponent("small.safetensors").path
        // Three epochs: this quarter-width VGG without BatchNorm leaves chance level (ln 10 ≈ 2.303)
        // slowly, and its first two epochs' losses (2.296, 2.259) sit too close to it to test.
        let train = try runShears(["train", "--width", "0.25", "--epochs", "3", "--train-limit", "1024", "--test-limit", "256",
                                   "--batch-size", "32", "--learning-rate", "0.05", "--threads", "2", "--out", checkpoint])
        #expect(train.status == 0, "\(train.error)")
        let losses = train.output.split(separator: "\n").compactMap { line -> Double? in
            guard let range = line.range(of: "train loss ") else { return nil }
            return Double(line[range.upperBound...].prefix { $0 != "," })
        }
        #expect(losses.count == 3 && losses[2] < losses[0] && losses[2] < 2.2, "losses \(losses)")
        #expect(train.error.contains("step") && train.error.contains("img/s") && train.error.contains("ETA"))
        let eval = try runShears(["eval", "--model", checkpoint, "--test-limit", "256"])
        #expect(eval.status == 0 && eval.output.contains("256 test images"), "\(eval.error)")
    }

    @Test("resnet-s trains on a subset (the loss falls); eval, info and prune (bn-scale, activation and obs groups) read its graph checkpoint")
    func trainResNet() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shears-resnet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let checkpoint = dir.appendingPathComponent("resnet.safetensors").path
        let train = try runShears(["train", "--model", "resnet-s", "--epochs", "2", "--train-limit", "512", "--test-limit", "128",
                                   "--batch-size", "32", "--threads", "2", "--out", checkpoint])
        #expect(train.status == 0, "\(train.error)")
        let losses = train.output.split(separator: "\n").compactMap { line -> Double? in
            guard let range = line.range(of: "train loss ") else { return nil }
            return Double(line[range.upperBound...].prefix { $0 != "," })
        }
        #expect(losses.count == 2 && losses[1] < losses[0], "losses \(losses)")
        let eval = try runShears(["eval", "--model", checkpoint, "--test-limit", "128"])
        #expect(eval.status == 0 && eval.output.contains("128 test images"), "\(eval.error)")
        let info = try runShears(["info", checkpoint])
        #expect(info.status == 0 && info.output.contains("layer2.0.downsample.0") && info.output.contains("272186"), "\(info.error)")
        let pruned = dir.appendingPathComponent("pruned.safetensors").path
        let prune = try runShears(["prune", "--model", checkpoint, "--criterion", "bn-scale", "--granularity", "filter",
                                   "--ratio", "0.5", "--test-limit", "128", "--out", pruned])
        #expect(prune.status == 0 && prune.output.contains("from 12 dependency groups"), "\(prune.error)")
        let prunedEval = try runShears(["eval", "--model", pruned, "--test-limit", "128"])
        #expect(prunedEval.status == 0, "\(prunedEval.error)")
        let activation = try runShears(["prune", "--model", checkpoint, "--criterion", "activation", "--granularity", "filter",
                                        "--ratio", "0.25", "--samples", "64", "--test-limit", "128",
                                        "--out", dir.appendingPathComponent("a.safetensors").path])
        #expect(activation.status == 0 && activation.output.contains("from 12 dependency groups"), "\(activation.error)")
        let obs = try runShears(["prune", "--model", checkpoint, "--criterion", "obs", "--granularity", "filter",
                                 "--ratio", "0.25", "--samples", "64", "--test-limit", "128",
                                 "--out", dir.appendingPathComponent("o.safetensors").path])
        #expect(obs.status == 0 && obs.output.contains("from 12 dependency groups"), "\(obs.error)")
        let obsFile = try SafeTensorsFile.read(from: dir.appendingPathComponent("o.safetensors").path)
        #expect(obsFile.metadata["compensation"] == "obs", "obs applies its update by default")
        let refused = try runShears(["prune", "--model", checkpoint, "--criterion", "l1", "--granularity", "neuron",
                                     "--ratio", "0.5", "--out", dir.appendingPathComponent("t.safetensors").path])
        #expect(refused.status != 0 && refused.error.contains("'neuron' cannot apply to the network: it has no hidden linear layer"),
                "\(refused.error)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("t.safetensors").path))
        let channel = try runShears(["prune", "--model", checkpoint, "--criterion", "l1", "--granularity", "channel",
                                     "--ratio", "0.25", "--test-limit", "128", "--out", dir.appendingPathComponent("c.safetensors").path])
        #expect(channel.status == 0 && channel.output.contains("from 12 dependency groups"), "\(channel.error)")
        let layers = dir.appendingPathComponent("l.safetensors").path
        let layer = try runShears(["prune", "--model", checkpoint, "--criterion", "l1", "--granularity", "layer",
                                   "--ratio", "0.5", "--test-limit", "128", "--out", layers])
        #expect(layer.status == 0 && layer.output.contains("replaced 3 layers by the identity"), "\(layer.error)")
        let layerInfo = try runShears(["info", layers])
        #expect(layerInfo.status == 0 && layerInfo.output.contains("layer2.2.conv2"), "\(layerInfo.error)")
        // Graph checkpoints time side by side, node by node: a replaced layer has no time of its own.
        let latency = try runShears(["bench", "latency", checkpoint, layers, "--rounds", "1", "--singles", "2", "--flops", "0.5",
                                     "--profile", "--fold-batch-norm"])
        let rows = latency.output.split(separator: "\n")
        #expect(latency.status == 0 && rows.contains { $0.hasPrefix("resnet.safetensors -> l1 0.5") }, "\(latency.error)")
        // The kept widths, each conv's in->out: the pruned copy's first conv reads the image's one channel.
        #expect(rows.contains { $0.hasPrefix("resnet.safetensors -> l1 0.5: 1->") && $0.split(separator: " ").count > 8 },
                "\(latency.output)")
        let replaced = try #require(layer.output.split(separator: "(").dropFirst().first?.split(separator: ",").first.map(String.init))
        #expect(rows.contains { $0.hasPrefix("\(replaced) Conv2D") && $0.contains(" - ") }, "\(latency.output)")
        #expect(rows.contains { $0.hasPrefix("layer3.2.add") }, "\(latency.output)")
        #expect(rows.contains { $0.hasPrefix("resnet.safetensors -> l1 0.5 +fold") }, "\(latency.output)")
    }

    @Test("bn-scale prunes a VGG with batch norm through its graph's dependency groups; a VGG without batch norm is refused")
    func slimVGG() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shears-slim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (normalized, plain) = (dir.appendingPathComponent("bn.safetensors").path, dir.appendingPathComponent("plain.safetensors").path)
        for (path, flags) in [(normalized, ["--batch-norm", "--slimming", "1e-4"]), (plain, [])] {
            let train = try runShears(["train", "--width", "0.25", "--epochs", "1", "--train-limit", "256", "--test-limit", "64",
                                       "--out", path] + flags)
            #expect(train.status == 0, "\(train.error)")
        }
        let pruned = dir.appendingPathComponent("pruned.safetensors").path
        let prune = try runShears(["prune", "--model", normalized, "--criterion", "bn-scale", "--granularity", "filter",
                                   "--ratio", "0.5", "--test-limit", "64", "--out", pruned])
        #expect(prune.status == 0 && prune.output.contains("from 5 dependency groups"), "\(prune.error)")
        let info = try runShears(["info", pruned])
        #expect(info.status == 0 && info.output.contains("features.0") && info.output.contains("output offsets included"),
                "\(info.error)")
        let refused = try runShears(["prune", "--model", plain, "--criterion", "bn-scale", "--granularity", "filter",
                                     "--ratio", "0.5", "--test-limit", "64", "--out", dir.appendingPathComponent("x.safetensors").path])
        #expect(refused.status != 0 && refused.error.contains("applies to none of its groups"), "\(refused.error)")
    }

    @Test("bench train --profile times every node of a graph, residual adds included, in forward and backward")
    func trainProfile() throws {
        let bench = try runShears(["bench", "train", "--model", "resnet-s", "--steps", "2", "--threads", "1",
                                   "--train-batch", "4", "--inference-batch", "4", "--profile", "--json"])
        #expect(bench.status == 0, "\(bench.error)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(bench.output.utf8)) as? [String: Any])
        let nodes = try #require((json["layerProfiles"] as? [[[String: Any]]])?.first)
        #expect(nodes.count == ResNet.small.nodes.count)
        let byName = Dictionary(uniqueKeysWithValues: nodes.map { ($0["layer"] as! String, $0) })
        for name in ["conv1", "layer2.0.downsample.0", "layer3.2.add", "fc"] {
            let node = try #require(byName[name], "\(name)")
            #expect((node["forwardMilliseconds"] as! Double) > 0 && (node["backwardMilliseconds"] as! Double) > 0, "\(name)")
        }
        // MACs for the batch of 4: the stem conv 1 x 16 x 9 weights at 28 x 28; an add multiplies nothing.
        #expect(byName["conv1"]?["macs"] as? Int == 4 * 16 * 9 * 28 * 28 && byName["layer3.2.add"]?["macs"] as? Int == 0)
    }

    @Test("capped at AVX2 (a CPU without AVX-512), train writes the same checkpoint, byte for byte, for vgg-s and resnet-s")
    func avx2TrainsTheSameModel() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shears-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for model in ["vgg-s", "resnet-s"] {
            var checkpoints: [Data] = []
            for cap in ["", "avx2"] {
                let out = dir.appendingPathComponent("\(model)-\(cap).safetensors").path
                let run = try runShears(["train", "--model", model, "--train-limit", "256", "--epochs", "1", "--batch-size", "32",
                                         "--test-limit", "64", "--threads", "2", "--out", out],
                                        environment: ["SHEARS_MAX_ISA": cap])
                #expect(run.status == 0, "\(run.error)")
                checkpoints.append(try Data(contentsOf: URL(fileURLWithPath: out)))
            }
            // F(4x4, 3x3) tiles, their ∂W and the direct kernels give the plain C's bits in every code.
            #expect(checkpoints[0] == checkpoints[1], "\(model)")
        }
    }

    @Test("bench conv times the --algorithms asked for, the first as the ratios' reference, and refuses unknown ones")
    func convBenchAlgorithms() throws {
        let bench = try runShears(["bench", "conv", "--algorithms", "direct,winogradTiles4", "--batch", "2", "--steps", "1",
                                   "--threads", "1", "--json"])
        #expect(bench.status == 0, "\(bench.error)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(bench.output.utf8)) as? [String: Any])
        let convs = try #require(json["convs"] as? [[String: Any]])
        #expect(convs.count == 5, "vgg-s has five distinct 3x3 convs")
        for conv in convs {
            let times = try #require(conv["times"] as? [String: [String: Double]])
            #expect(Set(times.keys) == ["direct", "winogradTiles4"] && times.values.allSatisfy { $0["forward"]! > 0 })
            #expect((conv["weightGradients"] as? [String: Double])?.keys.sorted() == ["direct"])
        }
        let table = try runShears(["bench", "conv", "--algorithms", "winogradTiles4,direct", "--batch", "2", "--steps", "1",
                                   "--threads", "1"])
        #expect(table.output.contains("/ winogradTiles4's") && !table.output.contains("im2col"), "\(table.output)")
        let unknown = try runShears(["bench", "conv", "--algorithms", "direct,fft"])
        #expect(unknown.status != 0 && unknown.error.contains("unknown algorithm 'fft'"), "\(unknown.error)")
    }

    @Test("bad input: unknown model, missing data, corrupt checkpoint give one clear line and a non-zero exit")
    func badInput() throws {
        let unknown = try runShears(["train", "--model", "resnet", "--out", "/tmp/x.safetensors"])
        #expect(unknown.status != 0 && unknown.error.contains("unknown --model 'resnet'"))
        let algorithm = try runShears(["bench", "train", "--conv-algorithm", "fft"])
        #expect(algorithm.status != 0 && algorithm.error.contains("--conv-algorithm"), "\(algorithm.error)")
        let noData = try runShears(["train", "--data-dir", "/nonexistent", "--out", "/tmp/x.safetensors"])
        #expect(noData.status != 0 && noData.error.contains("--data-dir must hold"))
        let corrupt = FileManager.default.temporaryDirectory.appendingPathComponent("corrupt-\(UUID().uuidString).safetensors")
        try Data([1, 2, 3]).write(to: corrupt)
        defer { try? FileManager.default.removeItem(at: corrupt) }
        let eval = try runShears(["eval", "--model", corrupt.path])
        #expect(eval.status != 0 && eval.error.contains(corrupt.lastPathComponent))
    }

    @Test("info, scores and prune on a small checkpoint; bad pruning requests write nothing")
    func pruningCommands() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shears-prune-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let checkpoint = dir.appendingPathComponent("m.safetensors").path
        let train = try runShears(["train", "--width", "0.25", "--epochs", "1", "--train-limit", "512", "--test-limit", "128",
                                   "--out", checkpoint])
        #expect(train.status == 0, "\(train.error)")
        let info = try runShears(["info", checkpoint])
        #expect(info.status == 0 && info.output.contains("features.0") && info.output.contains("total"), "\(info.error)")
        let csv = dir.appendingPathComponent("scores.csv").path
        let scores = try runShears(["scores", "--model", checkpoint, "--criterion", "taylor", "--granularity", "filter",
                                    "--samples", "64", "--test-limit", "128", "--out", csv])
        #expect(scores.status == 0, "\(scores.error)")
        let rows = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        #expect(rows.first == "layer,group,score,rank,flops,params" && rows.count == 1 + 8 + 8 + 16 + 16 + 32)
        // --flops-lambda λ lowers each score by λ · its flops column / 1e9 (Molchanov 2017, eq. 9).
        func l1Scores(_ extra: [String]) throws -> [[Double]] {
            let path = dir.appendingPathComponent("l1\(extra.count).csv").path
            let run = try runShears(["scores", "--model", checkpoint, "--criterion", "l1", "--granularity", "channel",
                                     "--out", path] + extra)
            #expect(run.status == 0, "\(run.error)")
            return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst()
                .map { $0.split(separator: ",").suffix(4).compactMap { Double($0) } }
        }
        let (plain, regularized) = (try l1Scores([]), try l1Scores(["--flops-lambda", "100"]))
        #expect(plain.count == 8 + 8 + 16 + 16 && regularized.count == plain.count)
        #expect(zip(plain, regularized).allSatisfy { abs($0[0] - 100 * $0[2] / 1e9 - $1[0]) < 1e-9 && $0[2] > 0 })
        let pruned = dir.appendingPathComponent("p.safetensors").path
        let prune = try runShears(["prune", "--model", checkpoint, "--criterion", "l1", "--granularity", "filter",
                                   "--ratio", "0.5", "--test-limit", "128", "--out", pruned])
        #expect(prune.status == 0 && prune.output.contains("removed 40 channels from 5 dependency groups"), "\(prune.error)")
        let prunedInfo = try runShears(["info", pruned])
        #expect(prunedInfo.output.contains("graph of 17 nodes") && prunedInfo.output.contains("features.10"), "\(prunedInfo.output)")
        let widths = try GraphNetwork.load(from: pruned).model.nodes.compactMap { ($0.layer as? Conv2D)?.outChannels }
        #expect(widths == [4, 4, 8, 8, 16])
        let correlate = try runShears(["correlate", "--model", checkpoint, "--criteria", "random,taylor", "--samples", "16",
                                       "--test-limit", "16"])
        #expect(correlate.status == 0 && correlate.output.contains("taylor") && correlate.output.contains("features.10"),
                "\(correlate.error)")
        let unknown = try runShears(["prune", "--model", checkpoint, "--criterion", "magnitude", "--granularity", "filter",
                                     "--ratio", "0.5", "--out", dir.appendingPathComponent("x.safetensors").path])
        #expect(unknown.status != 0 && unknown.error.contains("unknown criterion 'magnitude'"))
        let full = try runShears(["prune", "--model", checkpoint, "--criterion", "l1", "--granularity", "filter",
                                  "--ratio", "1", "--out", dir.appendingPathComponent("y.safetensors").path])
        #expect(full.status != 0 && full.error.contains("--ratio must be in [0, 1)"))
        let wrong = try runShears(["prune", "--model", checkpoint, "--criterion", "l1", "--granularity", "element",
                                   "--ratio", "0.5", "--ranking", "hessian", "--test-limit", "16",
                                   "--out", dir.appendingPathComponent("z.safetensors").path])
        #expect(wrong.status != 0 && wrong.error.contains("Hessian-aware ranking"), "\(wrong.error)")
        for name in ["x", "y", "z"] {
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("\(name).safetensors").path))
        }
    }
}
