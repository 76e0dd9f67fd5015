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
        let (loaded, metadata) = try NetworkCheckpoint.load(from: model)
        for key in ["seed", "epochs", "learning_rate", "criterion", "granularity", "ratio"] {
            if let value = metadata[key] { print("\(key): \(value)") }
        }
        if let graph = loaded as? GraphNetwork { try printGraph(graph) }
        if let vgg = loaded as? VGG { printVGG(vgg) }
    }

    /// Each node that has parameters or multiplies: graph accounting from output shapes.
    /// Parameters include a conv's folded `output_offset` (stored, and added to every output).
    func printGraph(_ network: GraphNetwork) throws {
        let specification = network.specification
        print("\(model): graph of \(specification.nodes.count) nodes, input \(specification.inputShape), "
              + "\(specification.classes) classes")
        print("node                                params          MACs         FLOPs")
        let macs = try specification.macsPerNode()
        for (node, nodeMacs) in zip(network.nodes, macs) {
            let parameters = (node.layer?.parameters ?? []).reduce(0) { $0 + $1.value.count }
                + ((node.layer as? Conv2D)?.outputOffset?.count ?? 0)
            guard parameters > 0 || nodeMacs > 0 else { continue }
            print(pad(node.name, 28, left: true), pad("\(parameters)", 13), pad("\(nodeMacs)", 13), pad("\(2 * nodeMacs)", 13))
        }
        let (total, totalParameters) = (macs.reduce(0, +), network.parameterCountWithOffsets)
        print(pad("total", 28, left: true), pad("\(totalParameters)", 13), pad("\(total)", 13), pad("\(2 * total)", 13))
        let tensors = network.stateTensors
        let running = tensors.filter { $0.key.hasSuffix(".running_mean") || $0.key.hasSuffix(".running_var") }
            .reduce(0) { $0 + $1.value.count }
        let masks = tensors.filter { $0.key.hasSuffix("_mask") }.reduce(0) { $0 + $1.value.count }
        print("stored: \(tensors.values.reduce(0) { $0 + $1.count }) values in \(tensors.count) tensors = \(totalParameters) "
              + "parameters (output offsets included) + \(masks) mask entries + \(running) running statistics")
    }

    func printVGG(_ network: VGG) {
        let cost = ModelCost(network)
        let widths = network.configuration.features.map { item -> String in
            if case let .conv(width) = item { return "\(width)" }
            return "M"
        }
        print("\(model): features [\(widths.joined(separator: ", "))], hidden \(network.configuration.hidden), "
              + "\(network.configuration.classes) classes")
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
