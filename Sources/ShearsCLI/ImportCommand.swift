import ArgumentParser
import ShearsNet
import ShearsPrune

/// `shears import`: a state dict saved from PyTorch becomes a shears checkpoint.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Read a PyTorch state dict (safetensors) of a known layout; widths come from the shapes.")

    @Argument(help: "A safetensors file saved from PyTorch (safetensors.torch.save_file(model.state_dict(), ...)).")
    var file: String

    @Option(help: "The layout the tensors follow: \((VGGConfiguration.presetNames + [TrainCommand.resnetName]).joined(separator: ", ")).")
    var model = "vgg-s"

    @Option(help: "Shears checkpoint to write (atomically).")
    var out: String

    func validate() throws {
        if model != TrainCommand.resnetName { _ = try modelPreset(model) }
    }

    func run() throws {
        let state = try SafeTensorsFile.readTorchStateDict(from: file)
        let environment = EnvironmentReport.current()
        let metadata = ["imported_from": file, "imported_layout": model, "blas": environment.blasConfig,
                        "swift": environment.swift]
        if model == TrainCommand.resnetName {
            let specification = try ResNet.specification(fromTorchShapes: state.file.tensors, source: file)
            let network = try GraphNetwork.fromTorchStateDict(state.file.tensors, batchCounters: state.batchCounters,
                                                              specification: specification, source: file)
            try network.save(to: out, metadata: metadata)
            print("imported \(file) as \(model): \(Self.widths(of: specification)), "
                  + "\(specification.parameterCount) parameters; wrote \(out)")
            return
        }
        // A VGG layout becomes its graph (`VGGConfiguration.graph`), under the same names. It keeps
        // the VGG import's rule: counters are dropped without checking that a BatchNorm owns them
        // (the vgg-s import test adds one to a network without batch norm).
        let configuration = try VGGConfiguration.fromTorchShapes(state.file.tensors, layout: try modelPreset(model), source: file)
        let network = try GraphNetwork.fromTorchStateDict(state.file.tensors, specification: configuration.graph, source: file)
        try network.save(to: out, metadata: metadata)
        let widths = configuration.features.map { item -> String in
            if case let .conv(width) = item { return "\(width)" }
            return "M"
        }
        print("imported \(file) as \(model): features [\(widths.joined(separator: ", "))], "
              + "hidden \(configuration.hidden), \(network.specification.parameterCount) parameters; wrote \(out)")
    }

    /// The stem's and each block's conv widths, `stem 16, layer1.0 16/16, ...` (inner/output).
    static func widths(of specification: GraphSpecification) -> String {
        var filters: [String: Int] = [:]
        for node in specification.nodes {
            if case let .convolution(_, outChannels, _, _, _, _) = node.operation { filters[node.name] = outChannels }
        }
        let blocks = specification.nodes.compactMap { node -> String? in
            guard node.name.hasSuffix(".conv1"), let inner = filters[node.name] else { return nil }
            let prefix = node.name.dropLast(".conv1".count)
            return "\(prefix) \(inner)/\(filters["\(prefix).conv2"] ?? 0)"
        }
        return "stem \(filters["conv1"] ?? 0), " + blocks.joined(separator: ", ")
    }
}
