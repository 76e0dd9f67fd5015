/// Requests the pruning module refuses, each naming the value that is wrong.
public enum PruningError: Error, Equatable, CustomStringConvertible {
    case unknownCriterion(String, valid: [String])
    case unknownGranularity(String)
    case ratioOutOfRange(Double)
    case wouldEmptyLayer(layer: String, groups: Int, removing: Int)
    case granularityNotApplicable(Granularity, layer: String, reason: String)
    case criterionUnavailable(String)
    case needsCalibration(criterion: String)
    case nonFiniteScores(criterion: String, layer: String, count: Int, groups: Int)

    public var description: String {
        switch self {
        case let .unknownCriterion(name, valid):
            return "unknown criterion '\(name)'; valid: \(valid.joined(separator: ", "))"
        case let .unknownGranularity(name):
            return "unknown granularity '\(name)'; valid: \(Granularity.allCases.map(\.rawValue).joined(separator: ", "))"
        case let .ratioOutOfRange(ratio):
            return "pruning ratio \(ratio) is outside [0, 1)"
        case let .wouldEmptyLayer(layer, groups, removing):
            return "pruning would remove all \(groups) groups of \(layer) (asked to remove \(removing)); lower the ratio"
        case let .nonFiniteScores(criterion, layer, count, groups):
            return "criterion '\(criterion)' gives \(count) of the \(groups) groups of \(layer) a NaN or infinite score; "
                + "their ranking would be meaningless"
        case let .needsCalibration(criterion):
            return "criterion '\(criterion)' scores on calibration images, and none were given"
        case let .criterionUnavailable(name):
            return "criterion '\(name)' is not implemented in this version of Shears yet"
        case let .granularityNotApplicable(granularity, layer, reason):
            return "granularity '\(granularity.rawValue)' cannot apply to \(layer): \(reason)"
        }
    }
}
