/// A pruning criterion as named on the command line and in configurations.
///
/// Scores are "importance": lower is removed first.
public enum CriterionName: Equatable, Hashable, Sendable, CustomStringConvertible {
    case random
    /// l_p norm of the group's weights; `p = 0` counts non-zeros, `p = .infinity` is the max.
    case norm(p: Double)
    case activation
    case activationStd
    case apoz
    case taylor
    case taylorBatch
    case taylorSquared
    case taylorWeight
    case obd
    case obdExact
    case obs
    /// OBS's ranking without its weight update (an ablation: the method is defined with it).
    case obsNoUpdate
    case oracle
    case oracleAbs

    /// Every fixed name, with a one-line explanation (for `--help`).
    public static let catalogue: [(name: String, summary: String)] = [
        ("random", "seeded random scores (the baseline)"),
        ("l0", "number of non-zero weights in the group"),
        ("l1", "sum of |w| over the group"),
        ("l2", "Euclidean norm of the group's weights"),
        ("linf", "largest |w| in the group"),
        ("lp:<p>", "l_p norm of the group's weights, any p > 0"),
        ("activation", "mean post-ReLU activation of the unit over a data subset"),
        ("activation-std", "standard deviation of the unit's activation (Molchanov 2017)"),
        ("apoz", "average percentage of zeros after ReLU (high APoZ is removed first)"),
        ("taylor", "mean over examples of |mean over positions of z x dl_n/dz| (Molchanov 2017, eq. 8), l2-normalised per layer"),
        ("taylor-batch", "|mean over examples and positions of z x dL/dz| (abs after averaging), l2-normalised per layer"),
        ("taylor-sq", "(sum over the group of w x dL/dw)^2 per minibatch of 64, averaged (Molchanov 2019, eqs. 7-8)"),
        ("taylor-weight", "|sum over the group of w x dL/dw| on the subset's mean gradient (Torch-Pruning multivariable=True)"),
        ("obd", "Optimal Brain Damage: 1/2 sum h_qq w_q^2 with a Fisher diagonal (LeCun 1990)"),
        ("obd-exact", "OBD with the exact Hessian diagonal (one backward pass per class)"),
        ("obs", "Optimal Brain Surgeon: 1/2 w_S^T ([H^-1]_SS)^-1 w_S, layer Hessian (Hassibi 1993); curves apply its weight update"),
        ("obs-no-update", "OBS's ranking without its weight update (ablation)"),
        ("oracle", "measured change of the loss when the group alone is removed (signed)"),
        ("oracle-abs", "absolute measured change of the loss when the group alone is removed"),
    ]

    /// The repair a criterion's method is defined with, used when none is asked for: OBS
    /// (Hassibi & Stork 1993) removes a weight *with* the update of the others that its
    /// saliency prices; every other criterion, and the `obs-no-update` ablation, removes only.
    public var definingCompensation: Compensation { self == .obs ? .obs : .none }

    /// Parses a command-line name; the error lists the valid names.
    public init(parsing text: String) throws {
        let fixed: [String: CriterionName] = [
            "random": .random, "l0": .norm(p: 0), "l1": .norm(p: 1), "l2": .norm(p: 2), "linf": .norm(p: .infinity),
            "activation": .activation, "activation-std": .activationStd, "apoz": .apoz, "taylor": .taylor,
            "taylor-batch": .taylorBatch, "taylor-sq": .taylorSquared, "taylor-weight": .taylorWeight, "obd": .obd,
            "obd-exact": .obdExact, "obs": .obs, "obs-no-update": .obsNoUpdate, "oracle": .oracle, "oracle-abs": .oracleAbs,
        ]
        if let criterion = fixed[text] {
            self = criterion
            return
        }
        if text.hasPrefix("lp:"), let p = Double(text.dropFirst(3)), p > 0, p.isFinite {
            self = .norm(p: p)
            return
        }
        throw PruningError.unknownCriterion(text, valid: Self.catalogue.map(\.name))
    }

    public var description: String {
        switch self {
        case .random: return "random"
        case let .norm(p):
            switch p {
            case 0: return "l0"
            case 1: return "l1"
            case 2: return "l2"
            case .infinity: return "linf"
            default: return "lp:\(p)"
            }
        case .activation: return "activation"
        case .activationStd: return "activation-std"
        case .apoz: return "apoz"
        case .taylor: return "taylor"
        case .taylorBatch: return "taylor-batch"
        case .taylorSquared: return "taylor-sq"
        case .taylorWeight: return "taylor-weight"
        case .obd: return "obd"
        case .obdExact: return "obd-exact"
        case .obs: return "obs"
        case .obsNoUpdate: return "obs-no-update"
        case .oracle: return "oracle"
        case .oracleAbs: return "oracle-abs"
        }
    }
}
