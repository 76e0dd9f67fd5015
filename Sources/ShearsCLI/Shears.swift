import ArgumentParser
import Foundation
import ShearsExperiments
import ShearsNet

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

    /// Tunes the allocator, then parses and runs the command. Results do not depend on
    /// Swift's per-process hash seed: the libraries never let a dictionary's order decide the
    /// order of a floating-point sum or of bytes written
    /// (`ReproducibilityCLITests.hashSeedIndependence` runs the same commands with a fixed
    /// and a random seed and compares the files).
    static func main() {
        Allocator.keepFreedBlocks()
        do {
            try checkInstructionSetCap()
            var command = try parseAsRoot(nil)
            try command.run()
        } catch {
            exit(reporting: error)
        }
    }

    /// Refuses a `SHEARS_MAX_ISA` the kernels would not understand (they would ignore it and run
    /// uncapped, so a typo would time the wrong code): unset, empty, `avx2` or `none`.
    static func checkInstructionSetCap() throws {
        guard let cap = ProcessInfo.processInfo.environment["SHEARS_MAX_ISA"], !["", "avx2", "none"].contains(cap) else {
            return
        }
        throw ValidationError("SHEARS_MAX_ISA must be avx2 or none (or unset), not '\(cap)'")
    }

    /// Exit codes (docs/reliability.md): 64 (EX_USAGE) for flags and configuration files,
    /// 65 (EX_DATAERR) for unusable input files (IDX data, checkpoints, curve CSVs and
    /// manifests), 75 (EX_TEMPFAIL) when another run holds the curve's lock, 1 for any other
    /// failure during the run; 0 on success. Errors are one line on standard error.
    static func exit(reporting error: Error) -> Never {
        let code: Int32
        switch error {
        case CurveStoreError.busy: code = 75
        case is DataError, is CheckpointError, is CurveStoreError: code = 65
        case is CurveConfigurationError: code = 64
        default:
            // --help and --version print to standard output; other parser errors are kept to
            // their message, without the usage block ArgumentParser would add.
            let parserCode = exitCode(for: error)
            if parserCode == .success { Self.exit(withError: error) }
            FileHandle.standardError.write(Data("Error: \(message(for: error))\n".utf8))
            Foundation.exit(parserCode.rawValue)
        }
        FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
        Foundation.exit(code)
    }
}
