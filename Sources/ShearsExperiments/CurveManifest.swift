import Foundation
import Linalg
import ShearsNet

/// What produced a curve CSV: the full configuration, the shard(s), versions, threads and
/// the BLAS build, so that a figure can be traced and shards checked before merging.
public struct CurveManifest: Codable, Equatable, Sendable {
    public static let shearsVersion = "0.5.0"

    public var configuration: CurveConfiguration
    /// The shards whose rows the CSV holds (one for a run, several after `shears merge`).
    public var shards: [Shard]
    public var cells: [String]
    public var shearsVersion: String
    public var swiftVersion: String
    public var threads: Int
    public var blas: String
    public var created: String

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

    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: path)
    }
}
