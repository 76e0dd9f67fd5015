/// Multiply-accumulates of a graph at its current weights: all of them (`macs`, what
/// structural pruning, shape-wise included, leaves to compute) or the non-zero ones
/// (`nonZeroMacs`, what unstructured element and kernel pruning leaves, the shapes unchanged).
///
/// The convention is `shared/reference/vgg-s.md`'s: a conv weight is
/// used once per output position, `H_out · W_out` times per image, a linear weight once; a
/// weight that is exactly zero (masked or not) does no useful work. FLOPs = 2 x MACs.
extension GraphNetwork {
    /// How many times per image each weight of node `index` multiplies an input: `H_out · W_out`
    /// (its output plane, from `nodeShapes`) for a conv, 1 for a linear layer, 0 for any other node.
    public func weightUses(ofNode index: Int) -> Int {
        switch nodes[index].layer {
        case is Conv2D: return nodeShapes[index].dropFirst(2).reduce(1, *)
        case is Linear: return 1
        default: return 0
        }
    }

    /// `Σ_nodes weights · weightUses` over the convs and linear layers, per image: a conv costs
    /// `F · K' · H_out · W_out` with `K'` the im2col rows it still reads (`C·kh·kw` while dense, the
    /// kept columns after shape-wise pruning, `Conv2D.patchRows`). Equals `specification.macs()`
    /// while no conv is shape-pruned, which the specification (dense `C_in · k²`) cannot count.
    public var macs: Int {
        nodes.indices.reduce(0) { total, index in
            let uses = weightUses(ofNode: index)
            guard uses > 0, let weight = nodes[index].layer?.parameters.first?.value else { return total }
            return total + uses * weight.count
        }
    }

    /// `Σ_nodes (non-zero weights) · weightUses` over the convs and linear layers, per image; equals
    /// `specification.macs()` while no weight is zero.
    public var nonZeroMacs: Int {
        nodes.indices.reduce(0) { total, index in
            let uses = weightUses(ofNode: index)
            guard uses > 0, let weight = nodes[index].layer?.parameters.first?.value else { return total }
            return total + uses * weight.values.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
        }
    }
}
