import ArgumentParser
import ShearsPrune

extension Granularity: ExpressibleByArgument {}
extension Ranking: ExpressibleByArgument {}

/// Criterion and granularity, shared by `scores` and `prune`.
struct PruningOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Criterion. One of:\n" + CriterionName.catalogue.map { "  \($0.name): \($0.summary)" }
        .joined(separator: "\n")))
    var criterion: String

    @Option(help: ArgumentHelp("Granularity. One of:\n" + Granularity.allCases.map { "  \($0.rawValue): \($0.summary)" }
        .joined(separator: "\n")))
    var granularity: Granularity

    @Option(help: "Score on the first N test images (data-driven criteria).")
    var samples = 1024

    func validate() throws {
        do {
            _ = try CriterionName(parsing: criterion)
        } catch {
            throw ValidationError("\(error)")
        }
        guard samples >= 1 else { throw ValidationError("--samples must be at least 1, got \(samples)") }
    }

    var criterionName: CriterionName { (try? CriterionName(parsing: criterion))! }
}
