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

    @Option(help: "The layout the tensors follow: \(VGGConfiguration.presetNames.joined(separator: ", ")).")
    var model = "vgg-s"

    @Option(help: "Shears checkpoint to write (atomically).")
    var out: String

    func run() throws {
        let layout = try modelPreset(model)
        let state = try SafeTensorsFile.readTorchStateDict(from: file)
        let network = try VGG.fromTorchStateDict(state.tensors, layout: layout, source: file)
        let environment = EnvironmentReport.current()
        try network.save(to: out, metadata: ["imported_from": file, "imported_layout": model, "blas": environment.blasConfig,
                                             "swift": environment.swift])
        let widths = network.configuration.features.map { item -> String in
            if case let .conv(width) = item { return "\(width)" }
            return "M"
        }
        print("imported \(file) as \(model): features [\(widths.joined(separator: ", "))], "
              + "hidden \(network.configuration.hidden), \(ModelCost(network).parameters) parameters; wrote \(out)")
    }
}
