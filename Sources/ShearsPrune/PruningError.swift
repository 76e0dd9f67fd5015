/// Requests the pruning module refuses, each naming the value that is wrong.
public enum PruningError: Error, Equatable, CustomStringConvertible {
    /// A criterion name that does not parse; `valid` lists the names that do.
    case unknownCriterion(String, valid: [String])
    /// A granularity name that is not one of `Granularity`'s raw values.
    case unknownGranularity(String)
    /// A pruning ratio outside [0, 1).
    case ratioOutOfRange(Double)
    /// A plan that would remove every one of the `groups` of `layer` (`removing` were asked for).
    case wouldEmptyLayer(layer: String, groups: Int, removing: Int)
    /// A request that cannot be carried out at that granularity on `layer` (a layer's name, or what was asked, such as
    /// "the model" or "a FLOPs target"), with the reason. It also carries refusals that are not about the granularity:
    /// a criterion that applies to no group, more oracle passes than allowed, an unreachable FLOPs target.
    case granularityNotApplicable(Granularity, layer: String, reason: String)
    /// A criterion that scores on calibration images was given none.
    case needsCalibration(criterion: String)
    /// `criterion` gave `count` of the `groups` groups of `layer` a NaN or infinite score, which no ranking can order.
    case nonFiniteScores(criterion: String, layer: String, count: Int, groups: Int)
    /// Masking every group but each layer's floor still leaves more than `target` of `quantity` (`reached`).
    case maskTargetNotReached(quantity: String, target: Int, reached: Int)

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
        case let .maskTargetNotReached(quantity, target, reached):
            return "cannot bring the \(quantity) down to \(target) with every layer keeping its floor of groups (stuck at \(reached))"
        case let .granularityNotApplicable(granularity, layer, reason):
            return "granularity '\(granularity.rawValue)' cannot apply to \(layer): \(reason)"
        }
    }
}
