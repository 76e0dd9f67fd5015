import ArgumentParser
import Linalg
import ShearsNet

/// Options every computing command shares: the seed and the thread count.
struct ComputeOptions: ParsableArguments {
    @Option(help: "Seed for initialisation, shuffling and every random choice.")
    var seed: UInt64 = 0

    @Option(help: "Cores to use: batch workers for layers, each with single-threaded BLAS.")
    var threads: Int = 2

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// Applies the thread setting (layers split batches; BLAS stays single-threaded inside).
    func apply() {
        Compute.configure(threads: threads)
    }
}

/// The preset named by `--model`, or a validation error listing the valid names.
func modelPreset(_ name: String) throws -> VGGConfiguration {
    guard let preset = VGGConfiguration.preset(name) else {
        throw ValidationError("unknown --model '\(name)'; choose one of \(VGGConfiguration.presetNames.joined(separator: ", "))")
    }
    return preset
}
