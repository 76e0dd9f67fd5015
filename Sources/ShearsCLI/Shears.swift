import ArgumentParser
import Foundation

/// `shears`: train, prune, score and benchmark VGG-style convnets on the CPU.
@main
struct Shears: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shears",
        abstract: "Prune deep neural networks on the CPU and compare pruning criteria.",
        subcommands: [EnvCommand.self, TrainCommand.self, EvalCommand.self, InfoCommand.self, ScoresCommand.self,
                      PruneCommand.self, CorrelateCommand.self, CurveCommand.self, MergeCommand.self, SummarizeCommand.self,
                      BenchCommand.self, ExportCommand.self, ImportCommand.self]
    )

    /// Runs with a fixed hash seed, re-executing once to set it, so that the same command
    /// gives bit-identical numbers. Why: Swift seeds `Hasher` per process, which changes the
    /// order dictionaries are walked and so the addresses buffers get; OpenBLAS's AVX-512
    /// kernels round differently for differently aligned operands (measured: a KL divergence
    /// varied in its 4th digit between identical runs). A resumed curve must reproduce the
    /// uninterrupted run's rows exactly.
    static func main() {
        let variable = "SWIFT_DETERMINISTIC_HASHING"
        if getenv(variable) == nil {
            setenv(variable, "1", 1)
            let arguments = CommandLine.unsafeArgv
            execv("/proc/self/exe", arguments)
            // exec failed (no /proc): carry on with a random seed, results are only not bit-exact.
        }
        Self.main(nil)
    }
}
