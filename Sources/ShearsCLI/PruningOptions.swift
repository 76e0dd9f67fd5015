import ArgumentParser
import ShearsNet
import ShearsPrune

extension Granularity: ExpressibleByArgument {}
extension Ranking: ExpressibleByArgument {}
extension Compensation: ExpressibleByArgument {}

/// Criterion and granularity, shared by `scores` and `prune`.
struct PruningOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Criterion. One of:\n" + CriterionName.catalogue.map { "  \($0.name): \($0.summary)" }
        .joined(separator: "\n") + "\n  bn-scale: |γ| of the BatchNorm after each filter, summed over a group (network slimming; filter and channel groups with a BatchNorm)"))
    var criterion: String

    @Option(help: ArgumentHelp("Granularity. One of:\n" + Granularity.allCases.map { "  \($0.rawValue): \($0.summary)" }
        .joined(separator: "\n")))
    var granularity: Granularity

    @Option(parsing: .unconditional,
            help: "Score on the first N images of the calibration split (the last 5,000 training images; never test images).")
    var samples = 1024

    @Option(parsing: .unconditional, help: "OBS damping δ: H + δ·mean(diag H)·I (0 = the smallest λ that factors H).")
    var obsDamping = OptimalBrainSurgeon.defaultRelativeDamping

    @Option(parsing: .unconditional, help: "FLOPs regularisation λ: score − λ·GFLOPs of the group (Molchanov 2017); 0 = off.")
    var flopsLambda: Double = 0

    func validate() throws {
        // Group criteria (bn-scale) are checked against the network once it is loaded.
        if !GroupCriteria.accepts(criterion) {
            do {
                _ = try CriterionName(parsing: criterion)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        guard samples >= 1 else { throw ValidationError("--samples must be at least 1, got \(samples)") }
        guard obsDamping >= 0, obsDamping.isFinite else { throw ValidationError("--obs-damping must be >= 0, got \(obsDamping)") }
        guard flopsLambda >= 0, flopsLambda.isFinite else { throw ValidationError("--flops-lambda must be >= 0, got \(flopsLambda)") }
    }

    /// `criterion` FLOPs-regularised by `--flops-lambda` (Molchanov et al. 2017, eq. 9), or as it is when λ = 0.
    func regularized(_ criterion: any GroupCriterion) -> any GroupCriterion {
        flopsLambda > 0 ? FlopsRegularizedCriterion(criterion, lambda: flopsLambda) : criterion
    }

    /// `criterion` FLOPs-regularised by `--flops-lambda` (Molchanov et al. 2017, eq. 9), or as it is when λ = 0.
    func regularized(_ criterion: any MaskedCriterion) -> any MaskedCriterion {
        flopsLambda > 0 ? FlopsRegularizedMaskedCriterion(criterion, lambda: flopsLambda) : criterion
    }
}
