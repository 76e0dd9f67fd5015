import ArgumentParser
import Foundation
import Linalg
import ShearsNet
import ShearsPrune

/// `shears bench criteria`: time to score every filter of a model with each criterion.
struct CriteriaBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "criteria",
        abstract: "Seconds to score all filters of vgg-s with each criterion, and the OBS Hessian path's GFLOP/s vs dgemm.")

    @Option(help: "Checkpoint to score (default: a freshly initialised vgg-s).")
    var model: String?

    @Option(help: "Score on the first N calibration images (the last 5,000 training images).")
    var samples = 1024

    @Option(help: "Comma-separated criteria (oracle needs one pass per filter and is slow).")
    var criteria = "random,l1,l2,activation,activation-std,apoz,taylor,taylor-weight,obd,obs,oracle"

    @OptionGroup var compute: ComputeOptions
    @OptionGroup var data: DataOptions

    func run() throws {
        BLASKernelNote.print()
        compute.apply()
        let network = try model.map { try loadFashionMNISTModel($0).model } ?? VGG(.vggS, seed: compute.seed)
        let (subset, pool) = try data.calibration(samples: samples)
        let engine = CriterionEngine(data: subset, pool: pool, seed: compute.seed)
        print("scoring \(ModelCost(network).layers.count) layers' filters on \(subset.count) images, \(compute.threads) threads")
        print("criterion          seconds")
        for name in criteria.split(separator: ",").map(String.init) {
            let criterion = try CriterionName(parsing: name)
            let seconds = try Stopwatch.seconds { _ = try engine.scores(network, criterion: criterion, granularity: .filter) }
            print(pad(name, 16, left: true), pad(fmt(seconds, 2), 9))
        }
        try hessianPath(network, subset)
    }

    /// The OBS path alone: Hessian accumulation (dsyrk, with as many BLAS threads as
    /// `--threads`) and damped Cholesky inverses, as GFLOP/s against dgemm at n = 1024 with
    /// the same thread count, in this run. The time includes the recorded forward passes.
    func hessianPath(_ network: VGG, _ subset: Dataset) throws {
        let timing = try ObsCriterion.timeHessianPath(network, data: subset, batchSize: 256)
        BLASRuntime.threads = compute.threads
        let dgemm = try LinalgBenchmark(repeats: 3, syrkRows: 1).gemm(n: 1024, scalar: Double.self, threads: compute.threads)
        compute.apply()
        let rate = timing.flops / timing.seconds / 1e9
        print("OBS Hessian build + inverse: \(fmt(timing.seconds, 2)) s, \(fmt(timing.flops / 1e9, 1)) GFLOP, "
              + "\(fmt(rate)) GFLOP/s; dgemm (\(compute.threads) threads) \(fmt(dgemm.directGflops)) GFLOP/s; "
              + "ratio \(fmt(rate / dgemm.directGflops, 2))")
    }
}
