import Dispatch
import Linalg
import ShearsNet

extension ObsGroupCriterion {
    /// Times OBS's numerical path for `groups` of `network`, as `scores` runs it: the input
    /// Hessian of every consumer of the groups, accumulated over the calibration images (one
    /// recorded forward pass per distinct image count, `dsyrk` over im2col columns in Double),
    /// and its damped Cholesky inverse (`OptimalBrainSurgeon`, relative damping `damping`).
    /// The saliencies themselves, small solves per channel, are not timed.
    ///
    /// FLOPs: for a consumer whose
    /// Hessian has order n (a conv's `C·kh·kw`, a linear layer's inputs) and k samples (output
    /// positions per image times images), n(n+1)·k for the `dsyrk`, n³ for `potrf` + `potri`:
    ///
    ///     flops = Σ_consumers n(n+1)·k + n³
    ///
    /// Without a `pool` every consumer takes the images of `data`; with one, a consumer whose
    /// order exceeds its samples takes more, as in scoring.
    public func timeHessianPath(_ network: GraphNetwork, groups: [ChannelGroup],
                                data: Dataset) throws -> (seconds: Double, flops: Double) {
        let consumers = Array(Set(groups.flatMap { $0.consumers.map(\.node) })).sorted()
        let images = HessianImages(data: data, pool: pool)
        let start = DispatchTime.now().uptimeNanoseconds
        let statistics = try ConsumerHessians.collect(network, consumers: consumers, images: images, batchSize: batchSize)
        for node in consumers { _ = try OptimalBrainSurgeon(hessian: statistics[node]!.hessian, relativeDamping: damping) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let flops = consumers.reduce(0.0) { total, node in
            let n = Double(ConsumerHessians.order(network, node))
            let k = Double(ConsumerHessians.samplesPerImage(network, node)
                           * ConsumerHessians.images(for: node, in: network, from: images).count)
            return total + n * (n + 1) * k + n * n * n
        }
        return (seconds, flops)
    }
}
