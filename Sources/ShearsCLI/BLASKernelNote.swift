import Foundation
import Linalg

/// The one-line note a benchmark prints when OpenBLAS runs generic kernels on a CPU that has
/// faster ones (``BLASRuntime/suggestedCoreType``): figures measured that way understate Shears
/// several times over, and the remedy is an environment variable only the user can set.
enum BLASKernelNote {
    /// The note's text, or `nil` when OpenBLAS already uses the CPU's vector units.
    static var text: String? {
        guard let suggested = BLASRuntime.suggestedCoreType else { return nil }
        return "OpenBLAS runs its generic \(BLASRuntime.coreName) kernels on this CPU; "
            + "OPENBLAS_CORETYPE=\(suggested) makes its GEMMs several times faster (scripts/run, scripts/test and scripts/bench set it)"
    }

    /// Writes the note to standard error, when there is one.
    static func print() {
        if let text { FileHandle.standardError.write(Data("note: \(text)\n".utf8)) }
    }
}
