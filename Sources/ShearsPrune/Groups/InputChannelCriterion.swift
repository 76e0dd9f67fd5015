import ShearsNet

/// A weight criterion at `channel` granularity on a graph network: channel c of a group is
/// scored from the side of the convolutions that read it, on their input slices
/// `W_k[:, c, :, :]` (on a VGG, input channel c of conv k ≥ 1, removed with filter c of
/// conv k − 1), with the per-layer formula of a
/// `MaskedCriterion` on the `.channel` layout (`GroupLayout`): the l_p norms, `taylor-weight`,
/// `taylor-sq`, `obd` and `obd-exact`.
///
/// A channel read by several convs (a resnet-s stage: each block's `conv1`, the next stage's
/// first convs) scores the sum over them, as OBS sums its consumers' saliencies:
/// `s_c = Σ_k s_k(W_k[:, offset_k + c, :, :])`. Linear consumers (after a flatten or global
/// pooling) have no input channel and are not counted (`GraphGranularitiesTests`).
public struct InputChannelCriterion: GroupCriterion {
    /// The formula applied to each consuming conv's input channels.
    public let perLayer: any MaskedCriterion
    public var name: String { perLayer.name }
    public var input: CriterionInput { perLayer.input }
    public var scoresComparableAcrossGroups: Bool { perLayer.scoresComparableAcrossLayers }

    /// Channel scores from `perLayer` on the input slices of the consuming convs.
    public init(_ perLayer: any MaskedCriterion) { self.perLayer = perLayer }

    public func applies(to group: ChannelGroup) -> Bool { group.isReadByConvolution }

    public func scores(_ network: GraphNetwork, groups: [ChannelGroup], calibration: Dataset?) throws -> [[Double]] {
        let readers = Set(groups.flatMap(\.consumers).map(\.node)).filter { network.nodes[$0].layer is Conv2D }.sorted()
        let layers = try readers.map { node -> MaskedLayer in
            let conv = network.nodes[node].layer as! Conv2D
            guard let layout = GroupLayout(.channel, weightShape: conv.weight.value.shape) else {
                throw PruningError.granularityNotApplicable(.channel, layer: network.nodes[node].name,
                                                            reason: "its columns were removed by shape pruning (weight \(conv.weight.value.shape))")
            }
            return MaskedLayer(node: node, name: network.nodes[node].name, weight: conv.weight, granularity: .channel,
                               layout: layout, uses: network.weightUses(ofNode: node))
        }
        let byNode = Dictionary(uniqueKeysWithValues: zip(readers, try perLayer.scores(network, layers: layers, calibration: calibration)))
        return groups.map { group in
            var scores = [Double](repeating: 0, count: group.width)
            for placement in group.consumers {
                guard let slices = byNode[placement.node] else { continue }
                for channel in 0..<group.width { scores[channel] += slices[placement.offset + channel] }
            }
            return scores
        }
    }

    /// Whether `criterion` scores a channel from its consumers' input slices at `channel`
    /// granularity (it reads weights), rather than as at `filter`.
    public static func readsInputSlices(_ criterion: CriterionName) -> Bool {
        switch criterion {
        case .norm, .taylorWeight, .taylorSquared, .obd, .obdExact: return true
        default: return false
        }
    }
}
