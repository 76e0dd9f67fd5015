/// A pruning criterion as named on the command line and in configurations.
///
/// Scores are "importance": lower is removed first.
public enum CriterionName: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Uniform scores in [0, 1) from a seeded generator: the baseline every criterion must beat.
    case random
    /// l_p norm of the group's weights; `p = 0` counts non-zeros, `p = .infinity` is the max.
    case norm(p: Double)
    /// Mean post-ReLU activation of the unit over images and positions (Molchanov et al. 2017, §2.2).
    case activation
    /// Standard deviation of the unit's post-ReLU activation over images and positions (Molchanov et al. 2017, §2.2).
    case activationStd
    /// `1 − APoZ`, APoZ the share of the unit's post-ReLU activations that are exactly 0 (Hu et al. 2016), so that
    /// mostly-off units go first.
    case apoz
    /// `(1/N) Σ_n |(1/M) Σ_m z_{n,m} · ∂ℓ_n/∂z_{n,m}|`, per example then averaged (Molchanov et al. 2017, eq. 8),
    /// divided by the layer's l2 norm of these values (§2.3).
    case taylor
    /// `|(1/(N·M)) Σ_n Σ_m z_{n,m} · ∂ℓ_n/∂z_{n,m}|`: the absolute value taken after averaging over examples, so
    /// effects of opposite sign cancel; l2-normalised per layer.
    case taylorBatch
    /// `(1/B) Σ_b (Σ_{s∈group} w_s g_s^(b))²` over minibatches b of 64 images, a filter's or neuron's bias included
    /// (Molchanov et al. 2019, §3, eqs. 7–8; `WeightTaylorGroupCriterion`).
    case taylorSquared
    /// `|Σ_{q∈group} w_q · ∂L/∂w_q|`, L the mean loss over the scoring subset (Torch-Pruning's
    /// `TaylorImportance(multivariable=True)`).
    case taylorWeight
    /// Optimal Brain Damage, `½ Σ_{q∈group} h_qq w_q²` with the empirical Fisher diagonal
    /// `h_qq ≈ (1/N) Σ_n (∂ℓ_n/∂w_q)²` (LeCun, Denker & Solla 1990).
    case obd
    /// As `obd` with the exact Hessian diagonal of the cross-entropy (Gauss–Newton, one backward pass per class).
    case obdExact
    /// Optimal Brain Surgeon, `½ Σ_r w_{r,S}ᵀ ([H⁻¹]_SS)⁻¹ w_{r,S}` on the damped input Hessian of the layer that reads
    /// the group (Hassibi & Stork 1993, eqs. 5 and 6); removal applies its update of the remaining weights.
    case obs
    /// OBS's ranking without its weight update (an ablation: the method is defined with it).
    case obsNoUpdate
    /// The measured `ΔL = L(group removed) − L` on the scoring subset, signed, so that removals that lower the loss go
    /// first (Molchanov et al. 2017, §2.2).
    case oracle
    /// The oracle's `|ΔL|` (Molchanov et al. 2017, §2.2).
    case oracleAbs

    /// Every fixed name, with a one-line explanation (for `--help`).
    public static let catalogue: [(name: String, summary: String)] = [
        ("random", "seeded random scores (the baseline)"),
        ("l0", "number of non-zero weights in the group"),
        ("l1", "sum of |w| over the group"),
        ("l2", "Euclidean norm of the group's weights"),
        ("linf", "largest |w| in the group"),
        ("lp:<p>", "l_p norm of the group's weights, any p in [0, inf] (lp:0 = l0, lp:inf = linf)"),
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
        if text.hasPrefix("lp:"), let p = Double(text.dropFirst(3)), p >= 0 {
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
