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
