/// The unit that is scored and removed together ("group").
///
/// Element and kernel groups are pruned with masks (the dense shape stays); the others are
/// removed physically, so the network really shrinks.
public enum Granularity: String, CaseIterable, Sendable, Codable {
    /// One weight.
    case element
    /// One `kh x kw` slice of one filter: `W[f, c, :, :]`.
    case kernel
    /// One weight position across all filters of a conv: `W[:, c, i, j]`, a GEMM column.
    case shape
    /// One input channel of a conv: `W[:, c, :, :]` (and the producing filter before it).
    case channel
    /// One output channel of a conv: `W[f, :, :, :]` (and the consumer's matching input).
    case filter
    /// One output neuron of a hidden linear layer: `W[j, :]`.
    case neuron
    /// A whole conv + ReLU whose input and output shapes match, replaced by the identity.
    case layer

    /// Whether removal is by mask (true) or by physically shrinking tensors (false).
    public var isMasked: Bool { self == .element || self == .kernel }

    /// One line for `--help`: what a group is and whether removal masks it or removes it.
    public var summary: String {
        switch self {
        case .element: return "single weights (masked)"
        case .kernel: return "one kh x kw kernel of one filter (masked)"
        case .shape: return "one (channel, ky, kx) position across all filters of a conv (removed)"
        case .channel: return "one input channel of a conv with its producing filter (removed)"
        case .filter: return "one conv filter with the consumer's matching input (removed)"
        case .neuron: return "one hidden neuron of a linear layer (removed)"
        case .layer: return "a whole shape-preserving conv + ReLU, replaced by identity (removed)"
        }
    }
}
