/// Weights as a standard framework stores them: masks applied, shape-pruned convolutions
/// back in their dense `F x C x kh x kw` layout.
extension Parameter {
    /// The value with masked entries set to exactly zero (they already are after
    /// `applyMask`; this does not rely on it).
    public var maskedValue: Tensor {
        guard let mask else { return value }
        return Tensor(shape: value.shape, values: zip(value.values, mask).map { $1 == 0 ? 0 : $0 })
    }
}

extension Conv2D {
    /// The weight as `F x C x kh x kw`, masked entries zero. After shape-wise pruning the
    /// stored `F x K'` matrix is scattered back to the im2col rows `patchRows` names and the
    /// removed rows are zero, which computes the same convolution.
    public var denseWeight: Tensor {
        let weight = self.weight.maskedValue
        let shape = [outChannels, inChannels, kernelHeight, kernelWidth]
        guard let rows = patchRows else { return weight }
        let full = inChannels * kernelHeight * kernelWidth
        var dense = Tensor(shape: shape)
        for filter in 0..<outChannels {
            for (column, row) in rows.enumerated() {
                dense.values[filter * full + row] = weight.values[filter * rows.count + column]
            }
        }
        return dense
    }
}

/// What a folded `output_offset` (`F x Ho x Wo`) can become in a framework that has no such
/// tensor: one value per channel.
extension Tensor {
    /// One value per channel of an `F x Ho x Wo` offset: the one at `(Ho/2, Wo/2)`. With
    /// 3x3 kernels and padding 1 every position at least one away from the border holds the
    /// same value, and the centre is such a position from 3x3 up.
    var offsetInteriorValues: [Float] {
        let (channels, height, width) = (shape[0], shape[1], shape[2])
        return (0..<channels).map { values[(($0 * height) + height / 2) * width + width / 2] }
    }

    /// Whether each channel of an `F x Ho x Wo` offset holds one value at every position, so
    /// that a per-channel constant represents it exactly (a 1x1 unpadded conv's offset does).
    var isUniformPerChannel: Bool {
        let plane = shape[1] * shape[2]
        return (0..<shape[0]).allSatisfy { channel in
            let start = channel * plane
            return values[start..<(start + plane)].allSatisfy { $0 == values[start] }
        }
    }
}
