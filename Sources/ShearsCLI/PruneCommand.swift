import ArgumentParser
import ShearsNet
import ShearsPrune

/// `shears prune`: one-shot pruning without fine-tuning, of any checkpoint as a graph network.
struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune", abstract: "Prune a checkpoint once (no fine-tuning) and write the smaller model.")

    @Option(help: "Checkpoint to prune.")
    var model: String

    @OptionGroup var pruning: PruningOptions

    @Option(parsing: .unconditional, help: "Share of groups to remove, in [0, 1) (of the conv and linear weights for element and kernel, of the conv columns for shape, of the shape-preserving conv + BatchNorm + ReLU chains for layer).")
    var ratio: Double

    @Option(help: "Ranking: per-layer (same share everywhere), global (l2-normalised scores), or hessian (filter, channel, neuron: each group's share from its consumers' Hessian spectra); default: per-layer, global for element, kernel, shape and layer (which ranks globally only).")
    var ranking: Ranking?

    @Option(help: "Repair of the layer reading removed units: none, obs, least-squares (filter, channel, neuron); default: obs for the obs criterion, none otherwise.")
    var compensation: Compensation?

    @Option(help: "Checkpoint to write (atomically; nothing is written on failure).")
    var out: String

    @OptionGroup var compute: ComputeOptions
    @OptionGroup var data: DataOptions

    func validate() throws {
        guard ratio >= 0, ratio < 1 else { throw ValidationError("--ratio must be in [0, 1), got \(ratio)") }
    }

    func run() throws {
        compute.apply()
        // A VGG checkpoint is pruned as its graph (`VGGConfiguration.graph`) and written as one.
        let (network, metadata) = try loadFashionMNISTGraph(model)
        if pruning.granularity.isMasked { return try maskElements(network, metadata: metadata) }
        if pruning.granularity == .shape { return try removeColumns(network, metadata: metadata) }
        if pruning.granularity == .layer { return try bypassLayers(network, metadata: metadata) }
        try pruneGroups(network, metadata: metadata)
    }
}
