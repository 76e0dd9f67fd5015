import ArgumentParser
import ShearsNet
import ShearsPrune

extension Granularity: ExpressibleByArgument {}
extension Ranking: ExpressibleByArgument {}
extension Compensation: ExpressibleByArgument {}

/// Criterion and granularity, shared by `scores` and `prune`.
struct PruningOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Criterion. One of:\n" + CriterionName.catalogue.map { "  \($0.name): \($0.summary)" }
        .joined(separator: "\n")))
    var criterion: String

    @Option(help: ArgumentHelp("Granularity. One of:\n" + Granularity.allCases.map { "  \($0.rawValue): \($0.summary)" }
        .joined(separator: "\n")))
    var granularity: Granularity

    @Option(parsing: .unconditional, help: "Score on the first N test images (data-driven criteria).")
    var samples = 1024

    @Option(parsing: .unconditional, help: "FLOPs regularisation λ: score − λ·GFLOPs of the group (Molchanov 2017); 0 = off.")
    var flopsLambda: Double = 0

    func validate() throws {
        do {
            _ = try CriterionName(parsing: criterion)
        } catch {
            throw ValidationError("\(error)")
        }
        guard samples >= 1 else { throw ValidationError("--samples must be at least 1, got \(samples)") }
        guard flopsLambda >= 0, flopsLambda.isFinite else { throw ValidationError("--flops-lambda must be >= 0, got \(flopsLambda)") }
    }

    /// The criterion's scores, FLOPs-regularised when asked.
    func scores(_ model: VGG, engine: CriterionEngine) throws -> [LayerScores] {
        let raw = try engine.scores(model, criterion: try CriterionName(parsing: criterion), granularity: granularity)
        return flopsLambda > 0 ? FlopsRegularization.apply(raw, lambda: flopsLambda) : raw
    }
}
