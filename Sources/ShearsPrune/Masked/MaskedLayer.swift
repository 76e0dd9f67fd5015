import ShearsNet

/// One conv or linear node of a graph network whose weight is pruned group by group inside
/// the layer: masked at element or kernel granularity, or its GEMM columns removed at shape
/// granularity (`GraphShapePruning`), with how its groups are laid out and what each costs.
///
/// Every conv and linear node takes part at element granularity and every conv at kernel
/// (`W[f, c, :, :]`) and shape granularity (`W[:, c, i, j]`, one im2col row still read); nodes
/// are found by walking the graph, never by position arithmetic.
public struct MaskedLayer {
    /// Index of the node in `GraphNetwork.nodes`.
    public let node: Int
    /// The node's name (`layer1.0.conv1`), its weight's checkpoint prefix.
    public let name: String
    /// The weight whose elements or kernels are masked or whose columns are removed (conv
    /// `F x C x kh x kw`, `F x K'` once shape-pruned; linear `out x in`).
    public let weight: Parameter
    /// Element, kernel or shape.
    public let granularity: Granularity
    /// Which flat indices of `weight` form each group.
    public let layout: GroupLayout
    /// How many times per image each weight multiplies an input (`GraphNetwork.weightUses(ofNode:)`):
    /// masking a non-zero weight saves that many MACs.
    public let uses: Int

    /// The layers of `network` that have groups at `granularity` (element or kernel), in node order. Throws
    /// `granularityNotApplicable` for a structured granularity or a network without such layers.
    public static func all(in network: GraphNetwork, granularity: Granularity) throws -> [MaskedLayer] {
        guard granularity.isMasked else {
            throw PruningError.granularityNotApplicable(granularity, layer: "masked pruning",
                                                        reason: "only element and kernel groups are masked")
        }
        let layers = network.nodes.indices.compactMap { index -> MaskedLayer? in
            let node = network.nodes[index]
            guard node.layer is Conv2D || node.layer is Linear, let weight = node.layer?.parameters.first,
                  let layout = GroupLayout(granularity, weightShape: weight.value.shape) else { return nil }
            return MaskedLayer(node: index, name: node.name, weight: weight, granularity: granularity, layout: layout,
                               uses: network.weightUses(ofNode: index))
        }
        guard !layers.isEmpty else {
            throw PruningError.granularityNotApplicable(granularity, layer: "the network",
                                                        reason: granularity == .kernel ? "it has no convolutions"
                                                            : "it has no convolutions or linear layers")
        }
        return layers
    }

    /// Every conv node of `network` with its GEMM columns as shape groups (`F x K'` kept ones
    /// once shape-pruned), in node order. Throws `granularityNotApplicable` for a network
    /// without convolutions.
    public static func columns(in network: GraphNetwork) throws -> [MaskedLayer] {
        let layers = network.nodes.indices.compactMap { index -> MaskedLayer? in
            let node = network.nodes[index]
            guard let conv = node.layer as? Conv2D, let layout = GroupLayout(.shape, weightShape: conv.weight.value.shape) else {
                return nil
            }
            return MaskedLayer(node: index, name: node.name, weight: conv.weight, granularity: .shape, layout: layout,
                               uses: network.weightUses(ofNode: index))
        }
        guard !layers.isEmpty else {
            throw PruningError.granularityNotApplicable(.shape, layer: "the network", reason: "it has no convolutions")
        }
        return layers
    }

    /// Masks `groups` on top of the weight's existing mask and zeroes the masked weights and
    /// their gradients: how element and kernel groups are removed, the dense shape unchanged.
    public func mask(_ groups: [Int]) {
        var mask = weight.mask ?? [Float](repeating: 1, count: weight.value.count)
        for group in groups { for index in layout.indices(group) { mask[index] = 0 } }
        weight.mask = mask
        weight.applyMask()
    }

    /// Weights of the layer its mask removes.
    var maskedWeights: Int { weight.mask?.reduce(0) { $0 + ($1 == 0 ? 1 : 0) } ?? 0 }

    /// Weights of group `group` that its mask still keeps (all of them when `weight` has no mask).
    public func unmaskedWeights(_ group: Int) -> Int {
        guard let mask = weight.mask else { return layout.groupSize }
        return layout.indices(group).reduce(0) { $0 + (mask[$1] != 0 ? 1 : 0) }
    }

    /// MACs per image that masking group `group` saves: its non-zero weights times `uses`.
    public func nonZeroMacs(_ group: Int) -> Int {
        let values = weight.value.values
        return uses * layout.indices(group).reduce(0) { $0 + (values[$1] != 0 ? 1 : 0) }
    }
}
