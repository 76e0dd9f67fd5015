import ArgumentParser

/// `shears`: train, prune, score and benchmark VGG-style convnets on the CPU.
@main
struct Shears: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shears",
        abstract: "Prune deep neural networks on the CPU and compare pruning criteria.",
        subcommands: [EnvCommand.self, TrainCommand.self, EvalCommand.self, InfoCommand.self, ScoresCommand.self, PruneCommand.self, CorrelateCommand.self, CurveCommand.self, MergeCommand.self, BenchCommand.self]
    )
}
