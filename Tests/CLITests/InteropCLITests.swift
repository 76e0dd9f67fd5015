import Foundation
import ShearsNet
import Testing

/// The package's root directory (this file is `Tests/CLITests/InteropCLITests.swift`).
private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// Runs `scripts/interop_check.py` with the test venv's Python (`scripts/test-venv` makes it).
/// A missing venv fails the calling test rather than skipping it.
private func runCheck(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
    let python = packageRoot.appendingPathComponent(".venv-test/bin/python")
    try #require(FileManager.default.isExecutableFile(atPath: python.path),
                 "\(python.path) is missing: run scripts/test-venv (scripts/test does) to create it")
    let process = Process()
    process.executableURL = python
    process.arguments = [packageRoot.appendingPathComponent("scripts/interop_check.py").path] + arguments
    let out = Pipe(), err = Pipe()
    (process.standardOutput, process.standardError) = (out, err)
    try process.run()
    let output = out.fileHandleForReading.readDataToEndOfFile(), error = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: error, as: UTF8.self))
}

/// The number after `label` in `text` (`"exported 58.44%"` → 58.44).
private func number(after label: String, in text: String) -> Double? {
    guard let range = text.range(of: label) else { return nil }
    return Double(text[range.upperBound...].prefix { "0123456789.-+e".contains($0) })
}

/// The directory of this process's shared fixture `name` (the suite's models, made once), which
/// is removed when the test process exits: a static fixture has no teardown of its own.
private func fixtureDirectory(_ name: String) throws -> URL {
    let directory = fixtureDirectory(name, process: getpid())
    try? FileManager.default.removeItem(at: directory)  // left by a killed run whose process id this one reuses
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    atexit {
        for name in ["shears-interop", "shears-interop-resnet"] {
            try? FileManager.default.removeItem(at: fixtureDirectory(name, process: getpid()))
        }
    }
    return directory
}

private func fixtureDirectory(_ name: String, process: pid_t) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(process)")
}

/// A `shears` run that the fixture needed and that failed.
private struct CommandFailed: Error, CustomStringConvertible {
    let arguments: [String]
    let error: String
    var description: String { "shears \(arguments.joined(separator: " ")) failed: \(error)" }
}

/// Runs `shears arguments`, throwing when it fails; returns what it printed.
@discardableResult
private func runShearsOrThrow(_ arguments: [String]) throws -> String {
    let result = try runShears(arguments)
    guard result.status == 0 else { throw CommandFailed(arguments: arguments, error: result.error) }
    return result.output
}

/// A vgg-s at width 0.25 trained briefly (about 65% test accuracy; at a learning rate of 0.05
/// this tiny net is on the edge of dying, and with Winograd tiles' rounding seed 1 did) and a copy with half of its
/// filters removed by l1 norm, made once for the suite. At half, l1 removes some filters whose
/// output was a positive constant, so the pruned model carries an `output_offset` (at 30% it
/// removes only filters with negative biases from this model). l1 needs no data, so the
/// fixture does not move when data-driven criteria or their data sources change.
private struct Models {
    let directory: URL
    let trained: String
    let filterPruned: String

    static let shared = Result { try Models() }

    init() throws {
        directory = try fixtureDirectory("shears-interop")
        trained = directory.appendingPathComponent("trained.safetensors").path
        filterPruned = directory.appendingPathComponent("filter.safetensors").path
        try runShearsOrThrow(["train", "--width", "0.25", "--epochs", "2", "--train-limit", "4096", "--batch-size", "32",
                              "--learning-rate", "0.03", "--test-limit", "256", "--out", trained])
        try Self.prune(trained, granularity: "filter", ratio: 0.5, to: filterPruned)
    }

    /// Prunes `ratio` of `model`'s groups and returns what `shears prune` printed.
    @discardableResult
    static func prune(_ model: String, granularity: String, criterion: String = "l1", ratio: Double = 0.3,
                      to out: String) throws -> String {
        try runShearsOrThrow(["prune", "--model", model, "--criterion", criterion, "--granularity", granularity,
                              "--ratio", "\(ratio)", "--test-limit", "256", "--out", out])
    }

    /// The checkpoint of a test variant: a granularity's pruned copy of `trained` (the shared
    /// `filterPruned` for "filter"), or "batch-norm", a batch-norm vgg-s trained for one epoch
    /// on 1,024 images with 30% of its filters removed.
    func pruned(_ variant: String) throws -> String {
        if variant == "filter" { return filterPruned }
        let out = directory.appendingPathComponent("\(variant).safetensors").path
        switch variant {
        case "batch-norm":
            let trained = directory.appendingPathComponent("bn-trained.safetensors").path
            try runShearsOrThrow(["train", "--width", "0.25", "--batch-norm", "--epochs", "1", "--train-limit", "1024",
                                  "--batch-size", "32", "--test-limit", "256", "--out", trained])
            try Self.prune(trained, granularity: "filter", to: out)
        case "layer":
            // vgg-s has two shape-preserving convolutions; 0.3 of 2 rounds to none.
            let output = try Self.prune(trained, granularity: "layer", ratio: 0.5, to: out)
            #expect(output.contains("replaced 1 layers by the identity"), "\(output)")
        default:
            try Self.prune(trained, granularity: variant, to: out)
        }
        return out
    }

    /// Shears' logits for all 10,000 test images of a checkpoint (VGG or graph), written as a
    /// safetensors file `logits`; returns the top-1 accuracy in percent, as `shears eval` prints it.
    @discardableResult
    static func referenceLogits(of model: String, to path: String) throws -> Double {
        let (network, _) = try GraphNetwork.load(from: model)
        var logits: [Float] = []
        let result = Trainer.evaluate(network, on: try FashionMNIST.load(.test)) { logits += $0.values }
        try SafeTensorsFile(tensors: ["logits": Tensor(shape: [logits.count / 10, 10], values: logits)], metadata: [:])
            .write(to: path)
        return (10_000 * result.accuracy).rounded() / 100
    }
}

/// A resnet-s trained for one epoch on 512 images (batch 16, about 40% test accuracy) and a
/// copy with half of every dependency group's channels removed by l1 norm, which carries
/// `output_offset`s on its convs (and falls to chance: this model is too young to lose half).
private struct ResNetModels {
    let directory: URL
    let trained: String
    let pruned: String

    static let shared = Result { try ResNetModels() }

    init() throws {
        directory = try fixtureDirectory("shears-interop-resnet")
        trained = directory.appendingPathComponent("trained.safetensors").path
        pruned = directory.appendingPathComponent("pruned.safetensors").path
        try runShearsOrThrow(["train", "--model", "resnet-s", "--epochs", "1", "--train-limit", "512", "--batch-size", "16",
                              "--test-limit", "256", "--out", trained])
        try Models.prune(trained, granularity: "filter", ratio: 0.5, to: pruned)
    }

    func checkpoint(_ variant: String) -> String { variant == "pruned" ? pruned : trained }
}

@Suite("export to ONNX and PyTorch, import from PyTorch", .serialized)
struct InteropCLITests {
    @Test("ONNX export of a pruned vgg-s matches shears on all 10,000 test images in onnxruntime (by granularity; batch norm)",
          arguments: ["filter", "channel", "shape", "element", "kernel", "neuron", "layer", "batch-norm"])
    func onnxMatchesShears(variant: String) throws {
        let models = try Models.shared.get()
        let pruned = try models.pruned(variant)
        if variant == "filter" {
            #expect(try SafeTensorsFile.read(from: pruned).tensors.keys.contains { $0.hasSuffix(".output_offset") },
                    "the acceptance case exports an offset")
        }
        let onnx = models.directory.appendingPathComponent("\(variant).onnx").path
        let export = try runShears(["export", pruned, "--format", "onnx", "--out", onnx])
        #expect(export.status == 0 && export.output.contains("output 'logits' [batch, 10]"), "\(export.error)")
        let reference = models.directory.appendingPathComponent("\(variant)-logits.safetensors").path
        try Models.referenceLogits(of: pruned, to: reference)
        let check = try runCheck(["onnx", onnx, "--reference", reference])
        #expect(check.status == 0, "\(check.output)\(check.error)")
        #expect(check.output.contains("top-1 agreement 10000/10000"), "\(check.output)")
        let difference = try #require(number(after: "max |logit difference| ", in: check.output), "\(check.output)")
        #expect(difference <= 1e-4)
    }

    @Test("ONNX export of resnet-s, unpruned and l1-filter-pruned (with offsets), matches shears on all 10,000 test images",
          arguments: ["unpruned", "pruned"])
    func resnetONNXMatchesShears(variant: String) throws {
        let models = try ResNetModels.shared.get()
        let model = models.checkpoint(variant)
        let offsets = try SafeTensorsFile.read(from: model).tensors.keys.filter { $0.hasSuffix(".output_offset") }
        #expect(offsets.isEmpty == (variant == "unpruned"), "\(offsets.count) output offsets")
        let onnx = models.directory.appendingPathComponent("\(variant).onnx").path
        let export = try runShears(["export", model, "--format", "onnx", "--out", onnx])
        #expect(export.status == 0 && export.output.contains("output 'logits' [batch, 10], 73 graph nodes"),
                "\(export.output)\(export.error)")
        let reference = models.directory.appendingPathComponent("\(variant)-logits.safetensors").path
        try Models.referenceLogits(of: model, to: reference)
        let check = try runCheck(["onnx", onnx, "--reference", reference])
        #expect(check.status == 0, "\(check.output)\(check.error)")
        #expect(check.output.contains("top-1 agreement 10000/10000"), "\(check.output)")
        let difference = try #require(number(after: "max |logit difference| ", in: check.output), "\(check.output)")
        #expect(difference <= 1e-4)
    }

    @Test("torch export of resnet-s: strict-loadable tensors; numpy logits and accuracy are shears' on the exported file",
          arguments: ["unpruned", "pruned"])
    func resnetTorchExport(variant: String) throws {
        let models = try ResNetModels.shared.get()
        let out = models.directory.appendingPathComponent("\(variant)-torch.safetensors").path
        let export = try runShears(["export", models.checkpoint(variant), "--format", "torch", "--out", out])
        try #require(export.status == 0, "\(export.error)")
        let exported = try #require(number(after: "exported ", in: export.output), "\(export.output)")
        let exact = try #require(number(after: "exact ", in: export.output), "\(export.output)")
        if variant == "unpruned" {
            #expect(exported == exact && !export.output.contains("offsets folded"), "\(export.output)")
        } else {
            #expect(export.output.contains("20 output offsets folded"), "\(export.output)")
        }
        let file = try SafeTensorsFile.read(from: out)
        #expect(file.metadata["exported_accuracy"].flatMap(Double.init) == exported)
        #expect(!file.tensors.keys.contains { $0.hasSuffix("_mask") || $0.hasSuffix(".output_offset") || $0.hasSuffix(".conv1.bias") })
        // The file keeps `shears.graph`, so shears reads it back: its logits are what the
        // exported tensors compute in shears, which numpy's PyTorch formulas must reproduce.
        let reference = models.directory.appendingPathComponent("\(variant)-torch-logits.safetensors").path
        #expect(try Models.referenceLogits(of: out, to: reference) == exported)
        let check = try runCheck(["torch", out, "--layout", "resnet-s", "--expected-accuracy", "\(exported)",
                                  "--reference", reference])
        #expect(check.status == 0, "\(check.output)\(check.error)")
        #expect(check.output.contains("top-1 agreement 10000/10000"), "\(check.output)")
    }

    @Test("a resnet-s state dict as PyTorch saves it (int64 counters, no metadata) imports at its widths; shears eval = numpy",
          arguments: ["unpruned", "pruned"])
    func resnetImportFromPyTorch(variant: String) throws {
        let models = try ResNetModels.shared.get()
        let torch = models.directory.appendingPathComponent("\(variant)-for-import.safetensors").path
        let export = try runShears(["export", models.checkpoint(variant), "--format", "torch", "--out", torch])
        try #require(export.status == 0, "\(export.error)")
        let python = models.directory.appendingPathComponent("\(variant)-from-python.safetensors").path
        let made = try runCheck(["make-torch", torch, "--layout", "resnet-s", "--out", python])
        try #require(made.status == 0, "\(made.output)\(made.error)")
        let state = try SafeTensorsFile.readTorchStateDict(from: python)
        #expect(state.file.metadata.isEmpty && state.batchCounters.count == 21)
        let imported = models.directory.appendingPathComponent("\(variant)-imported.safetensors").path
        let result = try runShears(["import", python, "--model", "resnet-s", "--out", imported])
        try #require(result.status == 0, "\(result.error)")
        // The widths came from the shapes alone: the graph is the checkpoint's that was exported.
        let original = try GraphNetwork.load(from: models.checkpoint(variant)).model
        let graph = try GraphNetwork.load(from: imported).model
        #expect(graph.specification == original.specification)
        #expect((variant == "unpruned") == (graph.specification == ResNet.small), "\(result.output)")
        // 2,000 test images keep the numpy pass affordable on a debug build's machine.
        let eval = try runShears(["eval", "--model", imported, "--test-limit", "2000"])
        let accuracy = try #require(number(after: "top-1 ", in: eval.output), "\(eval.output)\(eval.error)")
        let check = try runCheck(["torch", python, "--layout", "resnet-s", "--expected-accuracy", "\(accuracy)",
                                  "--limit", "2000"])
        #expect(check.status == 0, "\(check.output)\(check.error)")
        #expect(check.output.contains("2000 images, numpy accuracy \(String(format: "%.2f", accuracy))%"), "\(check.output)")
    }

    @Test("resnet-s import refuses a misshapen tensor and a float num_batches_tracked: one line naming it, exit 65")
    func resnetImportRefusesMisfits() throws {
        let models = try ResNetModels.shared.get()
        let (tensors, _) = try GraphNetwork(ResNet.small, seed: 1).torchStateDict()
        let out = models.directory.appendingPathComponent("refused.safetensors").path
        var misshapen = tensors
        misshapen["layer2.0.conv1.weight"] = Tensor(shape: [32, 8, 3, 3])
        var floatCounter = tensors
        floatCounter["bn1.num_batches_tracked"] = Tensor(shape: [1], values: [3])
        for (name, variant) in [("layer2.0.conv1.weight", misshapen), ("bn1.num_batches_tracked", floatCounter)] {
            let path = models.directory.appendingPathComponent("misfit-\(name).safetensors").path
            try SafeTensorsFile(tensors: variant, metadata: [:]).write(to: path)
            let result = try runShears(["import", path, "--model", "resnet-s", "--out", out])
            #expect(result.status == 65, "\(result.status): \(result.error)")
            let lines = result.error.split(separator: "\n")
            #expect(lines.count == 1 && result.error.contains("'\(name)'"), "\(result.error)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    @Test("torch export of a filter-pruned vgg-s: the standard module's tensors, numpy accuracy as reported")
    func torchExport() throws {
        let models = try Models.shared.get()
        let out = models.directory.appendingPathComponent("torch.safetensors").path
        let export = try runShears(["export", models.filterPruned, "--format", "torch", "--out", out])
        #expect(export.status == 0, "\(export.error)")
        let exported = try #require(number(after: "exported ", in: export.output), "\(export.output)")
        let exact = try #require(number(after: "exact ", in: export.output), "\(export.output)")
        #expect(abs(exported - exact) < 2, "folding the offsets cost \(exact - exported) points")
        let file = try SafeTensorsFile.read(from: out)
        #expect(file.metadata["exported_accuracy"].flatMap(Double.init) == exported)
        #expect(file.tensors.keys.allSatisfy { $0.hasSuffix(".weight") || $0.hasSuffix(".bias") })
        let check = try runCheck(["torch", out, "--expected-accuracy", "\(exported)"])
        #expect(check.status == 0, "\(check.output)\(check.error)")
    }

    @Test("a PyTorch-named state dict saved by safetensors.numpy imports, evaluates the same, and prunes")
    func importFromPyTorch() throws {
        let models = try Models.shared.get()
        let torch = models.directory.appendingPathComponent("from-python.safetensors").path
        let made = try runCheck(["make-torch", models.trained, "--out", torch])
        try #require(made.status == 0, "\(made.output)\(made.error)")
        #expect(try SafeTensorsFile.readTorchStateDict(from: torch).file.metadata.isEmpty)
        let imported = models.directory.appendingPathComponent("imported.safetensors").path
        let result = try runShears(["import", torch, "--model", "vgg-s", "--out", imported])
        #expect(result.status == 0 && result.output.contains("features [8, 8, M, 16, 16, M, 32, M]"), "\(result.error)")
        let original = try runShears(["eval", "--model", models.trained])
        let again = try runShears(["eval", "--model", imported])
        let accuracy = try #require(number(after: "top-1 ", in: original.output), "\(original.output)")
        #expect(number(after: "top-1 ", in: again.output) == accuracy, "\(again.output) vs \(original.output)")
        #expect(accuracy > 40, "the trained model learned something: \(accuracy)%")
        let pruned = models.directory.appendingPathComponent("imported-pruned.safetensors").path
        let prune = try runShears(["prune", "--model", imported, "--criterion", "l1", "--granularity", "filter",
                                   "--ratio", "0.3", "--test-limit", "256", "--out", pruned])
        #expect(prune.status == 0 && prune.output.contains("removed 21 channels from 5 dependency groups"), "\(prune.output)\(prune.error)")
    }

    @Test("import refuses a state dict that does not fit the layout, naming the tensor")
    func importRefusesMisfits() throws {
        let models = try Models.shared.get()
        let (network, _) = try GraphNetwork.load(from: models.trained)
        var tensors = network.stateTensors
        tensors["features.2.weight"] = Tensor(shape: [8, 5, 3, 3])
        let path = models.directory.appendingPathComponent("misfit.safetensors").path
        try SafeTensorsFile(tensors: tensors, metadata: [:]).write(to: path)
        let result = try runShears(["import", path, "--model", "vgg-s", "--out", models.directory.appendingPathComponent("x").path])
        #expect(result.status != 0 && result.error.contains("features.2.weight") && result.error.contains("[F, 8, 3, 3]"),
                "\(result.error)")
        #expect(!FileManager.default.fileExists(atPath: models.directory.appendingPathComponent("x").path))
    }

    @Test("info's parameter total includes every tensor a filter-pruned checkpoint stores, output offsets too")
    func infoCountsOffsets() throws {
        let models = try Models.shared.get()
        let file = try SafeTensorsFile.read(from: models.filterPruned)
        try #require(file.tensors.keys.contains { $0.hasSuffix(".output_offset") }, "the pruned model has offsets")
        let stored = file.tensors.values.reduce(0) { $0 + $1.count }
        let info = try runShears(["info", models.filterPruned])
        #expect(info.status == 0, "\(info.error)")
        let total = try #require(info.output.split(separator: "\n").first { $0.hasPrefix("total") }, "\(info.output)")
        #expect(total.split(separator: " ").dropFirst().first.flatMap { Int($0) } == stored, "\(total) vs \(stored) stored values")
        #expect(info.output.contains("stored: \(stored) values"), "\(info.output)")
    }
}
