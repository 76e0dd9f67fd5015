import ArgumentParser
import Foundation
import ShearsNet

/// `shears export`: a checkpoint for other tools, as ONNX or as a plain PyTorch state dict.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a checkpoint as an ONNX model or as a PyTorch state dict (docs/interop.md).")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case onnx, torch
    }

    @Argument(help: "A safetensors checkpoint written by shears (VGG or graph, pruned or not).")
    var model: String

    @Option(help: ArgumentHelp("onnx: opset 17, float32, every pruning state kept, outputs as shears to float rounding. "
                               + "torch: the standard module's tensors only, output offsets folded into biases "
                               + "or BatchNorm running means (accuracy measured)."))
    var format: Format

    @Option(help: "File to write (atomically): .onnx, or .safetensors for torch.")
    var out: String

    @Option(help: "Inference batch size for the accuracy check of --format torch.")
    var batchSize = 256

    @OptionGroup var compute: ComputeOptions
    @OptionGroup var data: DataOptions

    func run() throws {
        compute.apply()
        // The torch export evaluates on Fashion-MNIST, so it takes only models of that shape.
        let (graph, metadata) = format == .torch ? try loadFashionMNISTGraph(model) : try GraphNetwork.load(from: model)
        let environment = EnvironmentReport.current()
        var provenance = try graph.architectureMetadata()
        provenance.merge(["exported_from": model, "blas": environment.blasConfig, "swift": environment.swift]) { $1 }
        for key in ["seed", "criterion", "granularity", "ratio"] { provenance[key] = metadata[key] }
        switch format {
        case .onnx:
            try graph.writeONNX(to: out, metadata: provenance)
            printONNX(input: graph.specification.inputShape, classes: graph.specification.classes,
                      nodes: ", \(graph.nodes.count) graph nodes")
        case .torch:
            let (tensors, folds) = try graph.torchStateDict()
            let exported = try GraphNetwork.fromTorchStateDict(tensors, specification: graph.specification, source: out)
            let exact = folds.filter(\.exact).count
            var foldProvenance = provenance
            foldProvenance["offsets_folded"] = "\(folds.count)"
            foldProvenance["offsets_folded_exactly"] = "\(exact)"
            try exportTorch(exact: graph, tensors: tensors, exported: exported, provenance: foldProvenance,
                            folding: folds.isEmpty ? "" : "; \(folds.count) output offsets folded (\(exact) exactly, "
                                + "\(folds.count - exact) by interior value)")
        }
    }

    private func printONNX(input: [Int], classes: Int, nodes: String) {
        print("wrote \(out): ONNX opset 17, float32, input '\(GraphNetwork.onnxInputName)' [batch, "
              + "\(input.map(String.init).joined(separator: ", "))], output '\(GraphNetwork.onnxOutputName)' [batch, \(classes)]\(nodes)")
    }

    /// Writes the state dict and measures what folding the offsets costs: the test accuracy of
    /// the exported tensors (evaluated by shears, as PyTorch would compute them) against the
    /// exact model's, both recorded in the file's metadata.
    private func exportTorch(exact network: some Layer, tensors: [String: Tensor], exported: some Layer,
                             provenance: [String: String], folding: String = "") throws {
        let test = try data.load(.test)
        let exact = Trainer.evaluate(network, on: test, batchSize: batchSize).accuracy
        let approximate = Trainer.evaluate(exported, on: test, batchSize: batchSize).accuracy
        let (exactText, exportedText) = (fmt(100 * exact, 2), fmt(100 * approximate, 2))
        let difference = fmt(100 * (approximate - exact), 2)
        try SafeTensorsFile(tensors: tensors, metadata: provenance.merging([
            "test_images": "\(test.count)", "exact_accuracy": exactText, "exported_accuracy": exportedText,
            "accuracy_difference": difference,
        ]) { $1 }).write(to: out)
        print("wrote \(out): \(tensors.count) tensors of the PyTorch module\(folding); test accuracy on \(test.count) images: "
              + "exported \(exportedText)%, exact \(exactText)%, difference \(difference) points")
    }
}
