import ArgumentParser

/// `shears bench …`: measured figures, always as ratios against a baseline in the same run.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run a benchmark (release build recommended: swift run -c release shears bench …).",
        subcommands: [LinalgBenchCommand.self, TrainBenchCommand.self, ConvBenchCommand.self, CriteriaBenchCommand.self,
                      LatencyBenchCommand.self])
}
