import Foundation
import ShearsNet

/// Problems with a curve's files, naming the file.
public enum CurveStoreError: Error, CustomStringConvertible, Equatable {
    /// The file is not what it should be: a wrong CSV header, a line that is not a curve row, a manifest that does not
    /// decode, or a cell's rows out of sequence. `line` is 1-based, 0 when no single line is at fault.
    case corrupt(path: String, line: Int, reason: String)
    /// The file disagrees with the run or the other files: a manifest of another configuration or shard, a missing
    /// manifest or state model, a state model at another step than the CSV; also an output path that is a directory or
    /// a lock file that cannot be created.
    case mismatch(path: String, reason: String)
    /// Another run holds the curve's lock, or the lock cannot be taken.
    case busy(path: String, reason: String)

    public var description: String {
        switch self {
        case let .corrupt(path, line, reason): return "\(path):\(line): \(reason)"
        case let .mismatch(path, reason), let .busy(path, reason): return "\(path): \(reason)"
        }
    }
}

/// The CSV of a curve run and its companions: `<name>.manifest.json` beside it and
/// `<name>.state/` with each seed's base model and each chained cell's latest model.
///
/// Every write is atomic (temporary file, then rename), so a run killed at any moment leaves
/// either the old or the new file, never a torn one.
public struct CurveStore {
    /// The curve's CSV; without its `.csv` it is the `<name>` of the companion files.
    public let csvPath: String

    /// The store of the CSV at `csvPath`; nothing is read or created until it is used.
    public init(csvPath: String) { self.csvPath = csvPath }

    private var stem: String { csvPath.hasSuffix(".csv") ? String(csvPath.dropLast(4)) : csvPath }
    /// `<name>.manifest.json`, beside the CSV.
    public var manifestPath: String { stem + ".manifest.json" }
    /// `<name>.state`, beside the CSV: each seed's base model and each chained cell's latest model.
    public var stateDirectory: String { stem + ".state" }
    /// The base model trained for `seed` (every seed has its own).
    public func baseModelPath(seed: UInt64) -> String { stateDirectory + "/base-seed\(seed).safetensors" }
    /// The latest model of chained `cell`, its step and row in the metadata: `<name>.state/<identifier>.safetensors`.
    public func statePath(_ cell: CurveCell) -> String { stateDirectory + "/\(cell.identifier).safetensors" }

    /// The rows written so far (none if the file does not exist yet).
    public func rows() throws -> [CurveRow] {
        guard FileManager.default.fileExists(atPath: csvPath) else { return [] }
        guard let data = FileManager.default.contents(atPath: csvPath), let text = String(data: data, encoding: .utf8) else {
            throw CurveStoreError.corrupt(path: csvPath, line: 1, reason: "cannot be read as UTF-8 text")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        guard let first = lines.first, first == CurveRow.header.joined(separator: ",")[...] else {
            throw CurveStoreError.corrupt(path: csvPath, line: 1, reason: "expected the header \(CurveRow.header.joined(separator: ","))")
        }
        return try lines.dropFirst().enumerated().map { offset, line in
            guard let row = CurveRow(csvLine: line) else {
                throw CurveStoreError.corrupt(path: csvPath, line: offset + 2, reason: "not a curve row: '\(line.prefix(80))'")
            }
            return row
        }
    }

    /// Rewrites the CSV with `row` appended, atomically.
    public func append(_ row: CurveRow) throws {
        try write(try rows() + [row])
    }

    /// Writes the whole CSV atomically.
    public func write(_ rows: [CurveRow]) throws {
        let lines = [CurveRow.header.joined(separator: ",")] + rows.map(\.csvLine)
        try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: csvPath)
    }

    /// Writes the manifest on a new run; on a resumed run, refuses a different configuration
    /// or shard (which would mix incompatible rows in one file).
    public func openManifest(_ manifest: CurveManifest) throws {
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        if let data = FileManager.default.contents(atPath: manifestPath) {
            let existing: CurveManifest
            do {
                existing = try JSONDecoder().decode(CurveManifest.self, from: data)
            } catch {
                throw CurveStoreError.corrupt(path: manifestPath, line: 1, reason: "not a curve manifest: \(error)")
            }
            guard existing.configuration == manifest.configuration, existing.shards == manifest.shards else {
                throw CurveStoreError.mismatch(path: manifestPath, reason: "was written for a different configuration or shard; "
                                               + "resume with the same arguments or choose another --out")
            }
            return
        }
        try manifest.write(to: manifestPath)
    }

    /// The manifest beside the CSV; throws `CurveStoreError.mismatch` when it is missing, `.corrupt` when it does not
    /// decode.
    public func manifest() throws -> CurveManifest {
        guard let data = FileManager.default.contents(atPath: manifestPath) else {
            throw CurveStoreError.mismatch(path: manifestPath, reason: "missing (every curve CSV has a manifest beside it)")
        }
        do {
            return try JSONDecoder().decode(CurveManifest.self, from: data)
        } catch {
            throw CurveStoreError.corrupt(path: manifestPath, line: 1, reason: "not a curve manifest: \(error)")
        }
    }
}
