import Foundation
import Linalg
import ShearsNet

/// What produced a curve CSV: the full configuration, the shard(s), versions, threads and
/// the BLAS build, so that a figure can be traced and shards checked before merging.
public struct CurveManifest: Codable, Equatable, Sendable {
    /// The Shears version this build writes into manifests.
    public static let shearsVersion = "0.5.0"

    /// What produced the rows; a resumed run must use the same.
    public var configuration: CurveConfiguration
    /// The shards whose rows the CSV holds (one for a run, several after `shears merge`).
    public var shards: [Shard]
    /// `CurveCell.identifier` of every cell of `shards`, shard by shard, each in grid order.
    public var cells: [String]
    /// The version of Shears that wrote the manifest.
    public var shearsVersion: String
    /// The compiler that built it, as far as a compile-time check tells: `6.3 or later` or `before 6.3`.
    public var swiftVersion: String
    /// The run's `--threads`: batch workers, each with single-threaded BLAS.
    public var threads: Int
    /// OpenBLAS's build string and the kernel family it chose for this CPU at run time (`BLASRuntime`).
    public var blas: String
    /// When the manifest was written, ISO 8601 in UTC (`2026-11-25T15:12:07Z`).
    public var created: String

    /// The manifest of `shards` of `configuration`, stamped with this build's versions, the BLAS build and the current
    /// time.
    public init(configuration: CurveConfiguration, shards: [Shard], threads: Int) {
        self.configuration = configuration
        self.shards = shards
        cells = shards.flatMap { configuration.cells(of: $0) }.map(\.identifier)
        shearsVersion = Self.shearsVersion
        #if swift(>=6.3)
        swiftVersion = "6.3 or later"
        #else
        swiftVersion = "before 6.3"
        #endif
        self.threads = threads
        blas = "\(BLASRuntime.config) (core \(BLASRuntime.coreName))"
        created = ISO8601DateFormatter().string(from: Date())
    }

    /// Writes the manifest as pretty-printed JSON with sorted keys, atomically (`AtomicFile`).
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: path)
    }
}
