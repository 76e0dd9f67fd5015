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
    /// "the network" or "a FLOPs target"), with the reason: a criterion that does not apply there, or applies to none
    /// of the network's groups at it.
    case granularityNotApplicable(Granularity, layer: String, reason: String)
    /// The oracle would need one pass over the calibration images for each of `groups` groups, more than `limit`.
    case tooManyOraclePasses(groups: Int, limit: Int)
    /// A criterion that scores on calibration images was given none.
    case needsCalibration(criterion: String)
    /// `criterion` gave `count` of the `groups` groups of `layer` a NaN or infinite score, which no ranking can order.
    case nonFiniteScores(criterion: String, layer: String, count: Int, groups: Int)
    /// Pruning stopped at `reached` of `quantity`, above `target`, because of `limit` (every layer or group keeping
    /// its floor, no candidate left).
    case targetNotReached(quantity: String, target: Int, reached: Int, limit: String)

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
        case let .tooManyOraclePasses(groups, limit):
            return "the oracle would need \(groups) passes over the calibration images, one per group (limit \(limit))"
        case let .targetNotReached(quantity, target, reached, limit):
            return "cannot bring the \(quantity) down to \(target) with \(limit) (stuck at \(reached))"
        case let .granularityNotApplicable(granularity, layer, reason):
            return "granularity '\(granularity.rawValue)' cannot apply to \(layer): \(reason)"
        }
    }
}
