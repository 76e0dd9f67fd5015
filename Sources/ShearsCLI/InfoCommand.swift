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
        // A VGG checkpoint is shown as its graph (`VGGConfiguration.graph`), under the same names.
        let (graph, metadata) = try GraphNetwork.load(from: model)
        for key in ["seed", "epochs", "learning_rate", "criterion", "granularity", "ratio"] {
            if let value = metadata[key] { print("\(key): \(value)") }
        }
        try printGraph(graph)
    }

    /// Each node that has parameters or multiplies: graph accounting from output shapes.
    /// Parameters include a conv's folded `output_offset` (stored, and added to every output).
    func printGraph(_ network: GraphNetwork) throws {
        let specification = network.specification
        print("\(model): graph of \(specification.nodes.count) nodes, input \(specification.inputShape), "
              + "\(specification.classes) classes")
        print("node                                params          MACs       nz MACs         FLOPs")
        let macs = try specification.macsPerNode()
        for (index, (node, nodeMacs)) in zip(network.nodes, macs).enumerated() {
            let parameters = (node.layer?.parameters ?? []).reduce(0) { $0 + $1.value.count }
                + ((node.layer as? Conv2D)?.outputOffset?.count ?? 0)
            guard parameters > 0 || nodeMacs > 0 else { continue }
            // Masked (element, kernel) weights are zero and multiply nothing.
            let nonZero = network.weightUses(ofNode: index) * (node.layer?.parameters.first?.value.values.filter { $0 != 0 }.count ?? 0)
            print(pad(node.name, 28, left: true), pad("\(parameters)", 13), pad("\(nodeMacs)", 13), pad("\(nonZero)", 13),
                  pad("\(2 * nodeMacs)", 13))
        }
        let (total, totalParameters) = (macs.reduce(0, +), network.parameterCountWithOffsets)
        print(pad("total", 28, left: true), pad("\(totalParameters)", 13), pad("\(total)", 13), pad("\(network.nonZeroMacs)", 13),
              pad("\(2 * total)", 13))
        let tensors = network.stateTensors
        let running = tensors.filter { $0.key.hasSuffix(".running_mean") || $0.key.hasSuffix(".running_var") }
            .reduce(0) { $0 + $1.value.count }
        let masks = tensors.filter { $0.key.hasSuffix("_mask") }.reduce(0) { $0 + $1.value.count }
        print("stored: \(tensors.values.reduce(0) { $0 + $1.count }) values in \(tensors.count) tensors = \(totalParameters) "
              + "parameters (output offsets included) + \(masks) mask entries + \(running) running statistics")
    }
}
