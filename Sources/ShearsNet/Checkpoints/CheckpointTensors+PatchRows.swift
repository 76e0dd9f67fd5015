/// The im2col rows a shape-pruned conv still reads, as VGG and graph checkpoints store them:
/// `<layer>.patch_rows`, the row numbers `(c·kh + i)·kw + j` as whole Float values, ascending,
/// next to the `F x K'` weight of those columns. PyTorch has no such tensor; exports scatter
/// the weight back to `F x C x kh x kw` instead (`Conv2D.denseWeight`).
extension CheckpointTensors {
    /// Shape-prunes `conv` to the rows of tensor `name` if the file has it (before its weight
    /// is filled, so the weight is checked at `F x K'`); throws when the rows are not ascending
    /// whole numbers within `0..<C·kh·kw`.
    mutating func restorePatchRows(of conv: Conv2D, named name: String) throws {
        guard let rows = tensors[name] else { return }
        let full = conv.inChannels * conv.kernelHeight * conv.kernelWidth
        // Int(exactly:) is nil for NaN, infinities, fractions and values beyond Int.
        let indices = rows.values.map { Int(exactly: $0) ?? -1 }
        guard rows.shape.count == 1, !indices.isEmpty, zip(indices, rows.values).allSatisfy({ Float($0) == $1 }),
              indices.first! >= 0, indices.last! < full, zip(indices, indices.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw CheckpointError.architectureMismatch(
                path: path, reason: "tensor '\(name)' must list ascending whole row numbers in 0..<\(full)")
        }
        markUsed(name)
        conv.keepPatchRows(indices)
    }
}

extension Conv2D {
    /// `patchRows` as the checkpoint tensor `restorePatchRows` reads, nil while the conv is dense.
    var patchRowsTensor: Tensor? {
        patchRows.map { Tensor(shape: [$0.count], values: $0.map(Float.init)) }
    }
}
