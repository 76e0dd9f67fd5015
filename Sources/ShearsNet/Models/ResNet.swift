/// CIFAR-style residual networks (He et al. 2016, §4.2) as graphs, with torchvision's
/// module names so that checkpoints load into the PyTorch module unchanged.
///
/// Stem `conv1`/`bn1`/`relu`; stages `layer1…` of BasicBlocks
/// `out = ReLU(BN(conv3x3(ReLU(BN(conv3x3(x))))) + shortcut(x))`, convs without bias; a
/// stage's first block strides by 2 (except the first stage) and, when the shape changes,
/// takes a projection shortcut `downsample.0` (1x1 conv, no bias) + `downsample.1` (BN),
/// torchvision's option B; then global average pooling, `flatten` and `fc`.
public enum ResNet {
    /// `resnet-s` (`shared/reference/resnet-s.md`): ResNet-20 for 1x28x28, 16/32/64 channels,
    /// 272,186 parameters, 31,021,952 MACs per image.
    public static let small = specification(inputShape: [1, 28, 28], widths: [16, 32, 64], blocksPerStage: 3, classes: 10)

    /// The graph of a CIFAR-style ResNet with `blocksPerStage` BasicBlocks in each stage.
    public static func specification(inputShape: [Int], widths: [Int], blocksPerStage: Int, classes: Int) -> GraphSpecification {
        precondition(!widths.isEmpty && blocksPerStage >= 1, "ResNet: widths \(widths), \(blocksPerStage) blocks per stage")
        var b = GraphBuilder(inputShape: inputShape)
        var x = b.relu("relu", b.batchNorm("bn1", b.conv("conv1", b.input, outChannels: widths[0], kernelSize: 3,
                                                           padding: 1, bias: false)))
        var channels = widths[0]
        for (stage, width) in widths.enumerated() {
            for block in 0..<blocksPerStage {
                let stride = stage > 0 && block == 0 ? 2 : 1
                x = basicBlock(&b, "layer\(stage + 1).\(block)", x, width: width, stride: stride,
                               projects: stride != 1 || channels != width)
                channels = width
            }
        }
        b.linear("fc", b.flatten("flatten", b.globalAveragePool("avgpool", x)), outFeatures: classes)
        return b.specification
    }

    /// One BasicBlock named `prefix` (`layer2.0`), reading `x`; returns its output node.
    static func basicBlock(_ b: inout GraphBuilder, _ prefix: String, _ x: String, width: Int, stride: Int,
                           projects: Bool) -> String {
        let inner = b.relu("\(prefix).relu1", b.batchNorm("\(prefix).bn1", b.conv(
            "\(prefix).conv1", x, outChannels: width, kernelSize: 3, stride: stride, padding: 1, bias: false)))
        let residual = b.batchNorm("\(prefix).bn2", b.conv("\(prefix).conv2", inner, outChannels: width, kernelSize: 3,
                                                            padding: 1, bias: false))
        let shortcut = projects
            ? b.batchNorm("\(prefix).downsample.1", b.conv("\(prefix).downsample.0", x, outChannels: width, kernelSize: 1,
                                                            stride: stride, bias: false))
            : x
        return b.relu("\(prefix).relu2", b.add("\(prefix).add", [residual, shortcut]))
    }
}
