import ShearsNet

/// Statistics of post-ReLU activations on dependency groups: the criteria `activation`,
/// `activation-std` and `apoz`, read at every ReLU that carries the group's channels.
///
/// For ReLU r of the group (`ChannelGroup.rectifiers`: after the producers' BatchNorm, and
/// after each `add` that ties a residual stage together) let `a_{r,n,c,m}` be its output for
/// example n, channel c, at its `M_r` positions per channel (the plane, or a flattened
/// channel's block of columns). With N calibration examples, the score of channel c sums
/// over the group's ReLUs:
///
/// - `activation` (Molchanov et al. 2017, §2.2 "Activation", mean activation):
///   `Σ_r μ_{r,c}`, `μ_{r,c} = (1/(N·M_r)) Σ_n Σ_m a_{r,n,c,m}`;
/// - `activation-std` (ibid., the activation's standard deviation):
///   `Σ_r ((1/(N·M_r)) Σ_n Σ_m a_{r,n,c,m}² − μ_{r,c}²)^½`;
/// - `apoz` (Hu et al. 2016, "Network Trimming", eq. 1, average percentage of zeros):
///   `Σ_r (1 − APoZ_{r,c})`, `APoZ_{r,c} = (1/(N·M_r)) #{(n, m) : a_{r,n,c,m} = 0}`, so that
///   channels that are mostly zero go first.
///
/// A group whose channels
/// reach their consumers without passing a ReLU has no activation to read: the criterion does
/// not apply to it, and `GroupPruner` leaves it whole. Computed in evaluation mode.
public struct ActivationGroupCriterion: GroupCriterion {
    /// Which ReLU-output statistic a channel is scored by; the raw value is the criterion's name.
    public enum Statistic: String, Sendable, CaseIterable {
        /// `Σ_r μ_{r,c}`, the mean activation (Molchanov et al. 2017, §2.2).
        case mean = "activation"
        /// `Σ_r` of the activation's standard deviation over examples and positions (Molchanov et al. 2017, §2.2).
        case standardDeviation = "activation-std"
        /// `Σ_r (1 − APoZ_{r,c})`, so that mostly-zero channels go first (Hu et al. 2016, eq. 1).
        case apoz
    }

    /// Which of the three criteria this is; it also gives `name`.
    public let statistic: Statistic
    public var name: String { statistic.rawValue }
    public let input = CriterionInput.calibrationImages
    /// Calibration images per forward pass.
    public let batchSize: Int

    /// The criterion for `statistic`, reading the calibration images `batchSize` (≥ 1) at a time.
    public init(_ statistic: Statistic, batchSize: Int = 128) {
        precondition(batchSize >= 1, "ActivationGroupCriterion: batch size \(batchSize)")
        (self.statistic, self.batchSize) = (statistic, batchSize)
    }

    public func applies(to group: ChannelGroup) -> Bool { !group.rectifiers.isEmpty }

    public func scores(_ network: GraphNetwork, groups: [ChannelGroup], calibration: Dataset?) throws -> [[Double]] {
        guard let data = calibration, data.count > 0 else { throw PruningError.needsCalibration(criterion: name) }
        precondition(groups.allSatisfy(applies), "ActivationGroupCriterion: a group without a ReLU")
        // Values per index along dimension 1 of a node's output: a plane, or 1 after flatten.
        func plane(_ node: Int) -> Int { network.nodeShapes[node].dropFirst(2).reduce(1, *) }
        var statistics = groups.map { group in
            group.rectifiers.map { ActivationStatistics(units: group.width, perExample: $0.span * plane($0.node)) }
        }
        network.isRecording = true
        defer { network.isRecording = false }
        var start = 0
        while start < data.count {
            let end = min(data.count, start + batchSize)
            _ = network.forward(data.batch(Array(start..<end)[...]).images, training: false)
            for (index, group) in groups.enumerated() {
                for (r, rectifier) in group.rectifiers.enumerated() {
                    statistics[index][r].addMoments(of: network.recordedOutputs[rectifier.node],
                                                    from: rectifier.offset * plane(rectifier.node))
                }
            }
            start = end
        }
        return zip(groups, statistics).map { group, perReLU in
            perReLU.reduce(into: [Double](repeating: 0, count: group.width)) { total, stats in
                for (channel, value) in value(stats).enumerated() { total[channel] += value }
            }
        }
    }

    /// The statistic of one ReLU's channels.
    func value(_ stats: ActivationStatistics) -> [Double] {
        switch statistic {
        case .mean: return stats.mean
        case .standardDeviation: return stats.standardDeviation
        case .apoz: return stats.apoz.map { 1 - $0 }
        }
    }
}
