import ArgumentParser
import ShearsNet
import ShearsPrune

/// `shears info`: architecture and per-layer cost of a checkpoint.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Per-layer parameters, MACs and FLOPs (dense and non-zero) of a checkpoint.")

    @Argument(help: "A safetensors checkpoint written by shears.")
    var model: String

    @OptionGroup var threads: ThreadOptions

    func run() throws {
        threads.apply()
        let (network, metadata) = try VGG.load(from: model)
        let cost = ModelCost(network)
        let widths = network.configuration.features.map { item -> String in
            if case let .conv(width) = item { return "\(width)" }
            return "M"
        }
        print("\(model): features [\(widths.joined(separator: ", "))], hidden \(network.configuration.hidden), "
              + "\(network.configuration.classes) classes")
        for key in ["seed", "epochs", "learning_rate", "criterion", "granularity", "ratio"] {
            if let value = metadata[key] { print("\(key): \(value)") }
        }
        print("layer                params     nz params          MACs       nz MACs         FLOPs      nz FLOPs")
        for layer in cost.layers {
            print(pad(layer.name, 16, left: true), pad("\(layer.parameters)", 10), pad("\(layer.nonZeroParameters)", 13),
                  pad("\(layer.macs)", 13), pad("\(layer.nonZeroMacs)", 13), pad("\(layer.flops)", 13), pad("\(layer.nonZeroFlops)", 13))
        }
        print(pad("total", 16, left: true), pad("\(cost.parameters)", 10), pad("\(cost.nonZeroParameters)", 13),
              pad("\(cost.macs)", 13), pad("\(cost.nonZeroMacs)", 13), pad("\(cost.flops)", 13), pad("\(cost.nonZeroFlops)", 13))
        let stored = StoredValues(network)
        print("stored: \(stored.total) values in \(stored.tensors) tensors = \(stored.parameters) parameters (output offsets "
              + "included) + \(stored.masks) mask entries + \(stored.patchRows) patch rows + \(stored.runningStatistics) running statistics")
    }
}
