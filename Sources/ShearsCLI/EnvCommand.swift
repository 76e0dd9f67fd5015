import ArgumentParser
import Foundation
import Linalg
import ShearsNet

/// `shears env`: what this build runs on, so that every figure can be traced to its machine.
struct EnvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env",
        abstract: "Print the BLAS build, its thread count, the CPU, OS and Swift versions.")

    @OptionGroup var threads: ThreadOptions

    @Flag(help: "Print only the OPENBLAS_CORETYPE worth setting here (empty when OpenBLAS's own choice fits the CPU).")
    var suggestBLASCore = false

    func run() throws {
        if suggestBLASCore {
            print(BLASRuntime.suggestedCoreType ?? "")
            return
        }
        threads.apply()
        var fields = EnvironmentReport.current().fields + [("workers", "\(Compute.workers) (--threads)")]
        if let note = BLASKernelNote.text { fields.append(("blas note", note)) }
        for (key, value) in fields {
            print("\(key.padding(toLength: 16, withPad: " ", startingAt: 0)) \(value)")
        }
    }
}

/// The facts about the machine and build that travel with every result file.
struct EnvironmentReport: Codable {
    var blasConfig: String
    var blasCore: String
    var blasThreads: Int
    var cpu: String
    var cores: Int
    var os: String
    var swift: String
    /// Which code the direct convolution kernels run here (`Conv2D.directKernelsAreFast`);
    /// optional so that reports written before it still decode.
    var directConvolution: String?
    /// Which code Winograd tiles run here (`Conv2D.winogradTilesAreFast`,
    /// `Conv2D.winogradTiles4AreFast`); optional as above.
    var winogradTiles: String?

    static func current() -> EnvironmentReport {
        EnvironmentReport(
            blasConfig: BLASRuntime.config, blasCore: BLASRuntime.coreName, blasThreads: BLASRuntime.threads,
            cpu: firstValue(in: "/proc/cpuinfo", key: "model name") ?? "unknown",
            cores: ProcessInfo.processInfo.activeProcessorCount,
            os: (firstValue(in: "/etc/os-release", key: "PRETTY_NAME", separator: "=") ?? "unknown")
                .trimmingCharacters(in: CharacterSet(charactersIn: "\"")),
            swift: compilerVersion,
            directConvolution: Conv2D.directKernelsAreFast
                ? "AVX2 + FMA kernels (automatic picks them)" : "portable C loop (automatic keeps kernel rows)",
            winogradTiles: Conv2D.winogradTilesAreFast ? "AVX-512 kernels (automatic picks them)"
                : Conv2D.winogradTiles4AreFast ? "AVX2 + FMA kernels for F(4x4, 3x3) (automatic picks them)"
                : "portable C loop (automatic keeps the direct kernels)")
    }

    var fields: [(String, String)] {
        [("blas", blasConfig), ("blas core", blasCore), ("blas threads", "\(blasThreads)"),
         ("cpu", "\(cpu) (\(cores) cores)"), ("os", os), ("swift", swift),
         ("direct conv", directConvolution ?? "unknown"), ("winograd tiles", winogradTiles ?? "unknown")]
    }

    private static var compilerVersion: String {
        #if compiler(>=6.3)
        return "Swift 6.3 or later"
        #elseif compiler(>=6.2)
        return "Swift 6.2"
        #elseif compiler(>=6.1)
        return "Swift 6.1"
        #else
        return "Swift 6.0"
        #endif
    }

    /// The value of the first `key<separator>value` line of a text file, trimmed.
    private static func firstValue(in path: String, key: String, separator: Character = ":") -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: separator, maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == key {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}
