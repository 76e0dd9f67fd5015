import ArgumentParser
import Foundation
import ShearsNet
import ShearsPrune

/// `shears scores`: one row per group with its score, rank, FLOPs and parameters.
struct ScoresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scores", abstract: "Score every group of a checkpoint with a criterion and write a CSV.")

    @Option(help: "Checkpoint to score.")
    var model: String

    @OptionGroup var pruning: PruningOptions

    @Option(help: "CSV file to write (atomically).")
    var out: String

    @OptionGroup var compute: ComputeOptions
    @OptionGroup var data: DataOptions

    func run() throws {
        compute.apply()
        let (network, _) = try VGG.load(from: model)
        let engine = try pruning.engine(data, seed: compute.seed)
        let scores = try pruning.scores(network, engine: engine)
        var rows = ["layer,group,score,rank,flops,params"]
        for layer in scores {
            var rank = [Int](repeating: 0, count: layer.scores.count)
            for (position, index) in layer.scores.indices.sorted(by: { (layer.scores[$0], $0) < (layer.scores[$1], $1) }).enumerated() {
                rank[index] = position + 1
            }
            for group in 0..<layer.groups.count {
                rows.append("\(layer.groups.name),\(group),\(layer.scores[group]),\(rank[group]),"
                            + "\(2 * layer.groups.macsPerGroup[group]),\(layer.groups.parametersPerGroup[group])")
            }
        }
        try AtomicFile.write(Data((rows.joined(separator: "\n") + "\n").utf8), to: out)
        print("wrote \(rows.count - 1) scores (\(pruning.criterion), \(pruning.granularity.rawValue)) to \(out)")
    }
}
