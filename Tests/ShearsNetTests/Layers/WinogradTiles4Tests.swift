import Testing
@testable import ShearsNet

/// Winograd F(4x4, 3x3) tiles (`ConvolutionAlgorithm.winogradTiles4`) and their transpose
/// F(3x3, 4x4) for ∂w against the definition in Double, within `τ₄·S` (S = Σ|terms| of each
/// output, as `WinogradConvolutionTests`); their AVX-512 and AVX2 code against their plain C
/// loop, bit for bit, with every start, ReLU and pooling combination; a group's images the bits
/// each gets alone; the fused pooling the separate passes' bits.
///
/// τ₄: F(4x4, 3x3)'s transforms have entries up to 8 (Aᵀ) and 1/24 (G) where F(2x2, 3x3)'s are
/// 1 and ½, so its rounding error grows (Barabasz et al. 2020, ACM TOMS 46(4), bound it by the
/// transforms' norms, which grow with the tile). Measured over the shapes
/// below (seeded, 2026-12-04): worst 9.3e-6·S at C = 1 (the forward pass of a first layer, S of
/// 9 terms), 0.2–4.7e-6·S elsewhere, about 10x F(2x2, 3x3)'s. ∂w by F(3x3, 4x4)
/// (`WinogradGradientScratch`, 2026-12-05): 0.04–1.5e-6·S (by the direct kernels it was ≤
/// 3.3e-7·S). τ₄ = 2e-5 leaves 2x margin on the worst and still catches a single wrong product
/// (one term is about S/(9·C) ≥ 8e-4·S for C ≤ 128).
@Suite("Winograd F(4x4, 3x3) tiles against the definition")
struct WinogradTiles4Tests {
    static let tolerance = 2e-5
    /// `WinogradTilesTests`' shapes (the reference models' convs, pruned and odd widths, 7 x 7
    /// maps, down to 1 x 1), then maps whose last tile row and column hold 1, 2 and 3 of their 4
    /// outputs, a 40-column map of 10 tiles a row (two chunks of 8 tiles), and a 261-column map of
    /// 66 tiles a row (more than the AVX2 code's row transform takes).
    static let shapes = WinogradTilesTests.shapes
        + [(4, 6, 5, 9, 2), (3, 5, 10, 11, 2), (5, 4, 12, 6, 3), (6, 7, 9, 40, 2), (2, 3, 33, 35, 1), (2, 3, 6, 261, 1)]

    func layer(_ shape: (Int, Int, Int, Int, Int), seed: UInt64) -> Conv2D {
        var rng = SeededGenerator(seed: seed)
        let layer = Conv2D(inChannels: shape.0, outChannels: shape.1, kernelSize: 3, padding: 1, rng: &rng)
        layer.algorithm = .winogradTiles4
        return layer
    }

    @Test("forward, ∂x and ∂w are within τ₄·S of the definition", arguments: shapes.indices)
    func againstDefinition(index: Int) {
        let shape = Self.shapes[index]
        let (c, f, h, w, n) = shape
        let conv = layer(shape, seed: 4600 + UInt64(index))
        #expect(conv.winogradTile(height: h, width: w, batch: n) == .fourByFour && conv.usesDirectBackward)
        let result = ConvolutionDefinition.worstErrors(conv, inputShape: [n, c, h, w], inputSeed: 4700 + UInt64(index),
                                                       gradientSeed: 4800 + UInt64(index))
        let errors = (result.y, result.dx, result.dw)
        #expect(result.shape == [n, f, h, w])
        #expect(errors.0 < Self.tolerance && errors.1 < Self.tolerance && errors.2 < Self.tolerance,
                "shape \(shape): forward, ∂x, ∂w errors \(errors) of S")
    }

    @Test("the AVX-512 and AVX2 code give the plain C loop's bits: with and without a start, the ReLU and the pool",
          arguments: shapes.indices)
    func fastEqualsPortable(index: Int) {
        WinogradTilesTests.expectFastEqualsPortable(layer(Self.shapes[index], seed: 5000 + UInt64(index)),
                                                    shape: Self.shapes[index], tile: .fourByFour, seed: 5100 + UInt64(index))
    }

    @Test("a group of images gives each image the bits it gets alone, by every code",
          arguments: [0, 3, 6, 12, 15, 18, 19, 20, 25, 27])
    func groupsKeepEachImagesBits(index: Int) {
        WinogradTilesTests.expectGroupsKeepEachImagesBits(layer(Self.shapes[index], seed: 5600 + UInt64(index)),
                                                          shape: Self.shapes[index], tile: .fourByFour,
                                                          seed: 5601 + UInt64(index))
    }

    @Test("∂w by F(3x3, 4x4): the AVX-512 and AVX2 code give the plain C loop's bits, added to ∂w over groups of images",
          arguments: shapes.indices)
    func weightGradientFastEqualsPortable(index: Int) {
        let (c, f, h, w, _) = Self.shapes[index]
        let gradient = { WinogradGradientScratch(inputs: c, outputs: f, height: h, width: w) }
        // Two groups and a part of one: the sums are kept across calls.
        let images = 2 * gradient().group + 1
        let xs = randomTensor([images, c, h, w], seed: 5400 + UInt64(index)), dys = randomTensor([images, f, h, w], seed: 5401)
        func run(_ kernels: ConvolutionKernels) -> [Float] {
            let scratch = gradient()
            // Every weight starts at 0.5: `finish` must add to ∂w, not overwrite it.
            var dw = [Float](repeating: 0.5, count: f * c * 9)
            xs.values.withUnsafeBufferPointer { x in
                dys.values.withUnsafeBufferPointer { dy in
                    for first in stride(from: 0, to: images, by: scratch.group) {
                        scratch.accumulate(x.baseAddress! + first * c * h * w, dy.baseAddress! + first * f * h * w,
                                           images: min(scratch.group, images - first), kernels: kernels)
                    }
                }
            }
            dw.withUnsafeMutableBufferPointer { scratch.finish(into: $0.baseAddress!) }
            return dw
        }
        let fast = run(.fastest), portable = run(.portable)
        #expect(fast == portable, "shape \(Self.shapes[index])")
        #expect(run(.avx2) == portable, "shape \(Self.shapes[index]), AVX2")
        #expect(fast.allSatisfy(\.isFinite) && fast.contains { $0 != 0.5 })
    }

    @Test("pooled: MaxPool2D of the ReLU of the unpooled output, bit for bit",
          arguments: [0, 3, 6, 12, 13, 14, 19, 20, 21, 22, 23, 24, 27])
    func pooledEqualsSeparatePasses(index: Int) {
        let (c, _, h, w, n) = Self.shapes[index]
        let conv = layer(Self.shapes[index], seed: 5300 + UInt64(index))
        conv.outputOffset = randomTensor([conv.outChannels, h, w], seed: 5301)
        let x = randomTensor([n, c, h, w], seed: 5302 + UInt64(index))
        let separate = MaxPool2D(size: 2).forward(conv.forward(x, training: false, thenReLU: true), training: false)
        #expect(conv.predictThenReLUAndMaxPool(x).values == separate.values)
    }
}
