import ArgumentParser
import Foundation
import Linalg
import ShearsNet
import ShearsPrune

/// `shears bench criteria`: time to score every filter group of a graph network with each criterion.
struct CriteriaBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "criteria",
        abstract: "Seconds to score all filter groups of vgg-s (or --model) with each criterion, and the OBS Hessian path's GFLOP/s vs dgemm.")

    @Option(help: "Checkpoint to score, any graph network (default: a freshly initialised vgg-s).")
    var model: String?

    @Option(help: "Score on the first N calibration images (the last 5,000 training images).")
    var samples = 1024

    @Option(help: "Comma-separated criteria (oracle needs one pass per filter and is slow).")
    var criteria = "random,l1,l2,activation,activation-std,apoz,taylor,taylor-weight,obd,obs,oracle"

    @OptionGroup var compute: ComputeOptions
    @OptionGroup var data: DataOptions

    /// The criteria named by `--criteria`, in order.
    var criterionNames: [String] { criteria.split(separator: ",").map(String.init) }

    func validate() throws {
        for name in criterionNames where !GroupCriteria.accepts(name) {
            throw ValidationError("unknown criterion '\(name)' in --criteria; valid: \(GroupCriteria.names.joined(separator: ", "))")
        }
        guard samples >= 1 else { throw ValidationError("--samples must be at least 1, got \(samples)") }
    }

    func run() throws {
        BLASKernelNote.print()
        compute.apply()
        let network = try model.map { try loadFashionMNISTGraph($0).model }
            ?? GraphNetwork(VGGConfiguration.vggS.graph, seed: compute.seed)
        let groups = try DependencyGraph(network.specification).prunableGroups(at: .filter)
        try refuseInapplicable(criterionNames, groups: groups, granularity: .filter)
        let (subset, pool) = try data.calibration(samples: samples)
        print("scoring \(groups.count) filter groups on \(subset.count) images, \(compute.threads) threads")
        print("criterion          seconds")
        for name in criterionNames {
            // OBS's Hessians may draw more images from the calibration pool than the scoring subset holds.
            guard let criterion = GroupCriteria.named(name, seed: compute.seed, granularity: .filter, pool: pool) else {
                throw ValidationError("unknown criterion '\(name)'; valid: \(GroupCriteria.names.joined(separator: ", "))")
            }
            let seconds = try Stopwatch.seconds {
                _ = try GroupPruner.scoredGroups(network, criterion: criterion, granularity: .filter, calibration: subset)
            }
            print(pad(name, 16, left: true), pad(fmt(seconds, 2), 9))
        }
        try hessianPath(network, groups: groups, subset)
    }

    /// The OBS path alone: Hessian accumulation (dsyrk, with as many BLAS threads as
    /// `--threads`) and damped Cholesky inverses of every filter group's consumers, on the
    /// scoring images only, as GFLOP/s against dgemm at n = 1024 with the same thread count,
    /// in this run. The time includes the recorded forward passes.
    func hessianPath(_ network: GraphNetwork, groups: [ChannelGroup], _ subset: Dataset) throws {
        let timing = try ObsGroupCriterion(update: true).timeHessianPath(network, groups: groups, data: subset)
        BLASRuntime.threads = compute.threads
        let dgemm = try LinalgBenchmark(repeats: 3, syrkRows: 1).gemm(n: 1024, scalar: Double.self, threads: compute.threads)
        compute.apply()
        let rate = timing.flops / timing.seconds / 1e9
        print("OBS Hessian build + inverse: \(fmt(timing.seconds, 2)) s, \(fmt(timing.flops / 1e9, 1)) GFLOP, "
              + "\(fmt(rate)) GFLOP/s; dgemm (\(compute.threads) threads) \(fmt(dgemm.directGflops)) GFLOP/s; "
              + "ratio \(fmt(rate / dgemm.directGflops, 2))")
    }
}
