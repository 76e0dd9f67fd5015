import ShearsNet

/// Network slimming (Liu et al. 2017, "Learning Efficient Convolutional Networks through
/// Network Slimming", §3.2, eq. 1): each channel's BatchNorm scaling factor |γ| is its
/// importance; training adds `λ Σ_γ |γ|` to the loss so that unimportant channels' γ shrink.
/// A group normalised by several BatchNorms (a resnet-s stage) scores `Σ_normalisers |γ_c|`;
/// groups without a BatchNorm (a VGG's hidden neurons) are not scored and stay whole.
public struct BatchNormScaleCriterion: GroupCriterion {
    public let name = "bn-scale"
    public let input = CriterionInput.weights

    /// The criterion has no settings: it reads the BatchNorm scales γ alone.
    public init() {}

    public func applies(to group: ChannelGroup) -> Bool { !group.normalizers.isEmpty }

    public func scores(_ network: GraphNetwork, groups: [ChannelGroup], calibration: Dataset?) throws -> [[Double]] {
        groups.map { group in
            var scores = [Double](repeating: 0, count: group.width)
            for placement in group.normalizers {
                let gamma = (network.nodes[placement.node].layer as! BatchNorm2D).weight.value.values
                for channel in 0..<group.width { scores[channel] += Double(abs(gamma[placement.offset + channel])) }
            }
            return scores
        }
    }
}
