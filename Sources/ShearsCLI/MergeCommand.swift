import ArgumentParser
import Foundation
import ShearsExperiments

/// `shears merge`: combines the CSVs and manifests of shards of one curve configuration.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine shard CSVs of the same curve configuration into one CSV with a manifest.")

    @Option(help: "Merged CSV to write.")
    var out: String

    @Argument(help: "Shard CSVs (each with its manifest beside it).")
    var inputs: [String]

    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one shard CSV") }
    }

    func run() throws {
        threads.apply()
        let stores = inputs.map { CurveStore(csvPath: $0) }
        let manifests = try stores.map { try $0.manifest() }
        let configuration = manifests[0].configuration
        for (store, manifest) in zip(stores, manifests) where manifest.configuration != configuration {
            throw CurveStoreError.mismatch(path: store.manifestPath, reason: "has a different configuration from \(stores[0].manifestPath)")
        }
        let shards = manifests.flatMap(\.shards)
        guard Set(shards.map(\.index)).count == shards.count, Set(shards.map(\.count)).count == 1 else {
            throw ValidationError("shards \(shards.map(\.description)) overlap or come from different splits")
        }
        let order = Dictionary(uniqueKeysWithValues: configuration.cells.enumerated().map { ($1.method + "#\($1.seed)", $0) })
        let rowsByStore = try stores.map { try $0.rows() }
        let all = rowsByStore.flatMap { $0 }
        // Each pruning step is measured once; a doubled row (e.g. two runs appending to one
        // CSV) would be counted twice in every average.
        var seen: [String: String] = [:]
        for (store, rows) in zip(stores, rowsByStore) {
            for row in rows where !row.isUnpruned {
                let key = "\(row.method) seed \(row.seed) step \(row.step)"
                if let first = seen.updateValue(store.csvPath, forKey: key) {
                    throw CurveStoreError.mismatch(path: store.csvPath, reason: "the row of \(key) is also in "
                                                   + (first == store.csvPath ? "this file" : first) + "; refusing to merge duplicates")
                }
            }
        }
        // Every shard measured the same unpruned model of each seed; keep one row per seed, then
        // the cells in grid order.
        var seeds = Set<UInt64>()
        let unpruned = all.filter { $0.isUnpruned && seeds.insert($0.seed).inserted }.sorted { $0.seed < $1.seed }
        let rows = unpruned + all.filter { !$0.isUnpruned }.sorted {
            (order[$0.method + "#\($0.seed)"] ?? .max, $0.step) < (order[$1.method + "#\($1.seed)"] ?? .max, $1.step)
        }
        let merged = CurveStore(csvPath: out)
        try merged.write(rows)
        var manifest = manifests[0]
        manifest.shards = shards.sorted { $0.index < $1.index }
        manifest.cells = manifest.shards.flatMap { configuration.cells(of: $0) }.map(\.identifier)
        try manifest.write(to: merged.manifestPath)
        let missing = shards[0].count - shards.count
        print("merged \(rows.count) rows from \(shards.count) shard(s) into \(out)"
              + (missing > 0 ? "; \(missing) shard(s) of \(shards[0].count) not included yet" : ""))
    }
}
