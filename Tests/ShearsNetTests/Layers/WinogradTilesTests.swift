import Testing
@testable import ShearsNet

/// Winograd tiles (`ConvolutionAlgorithm.winogradTiles`, F(2x2, 3x3) image by image) against
/// the definition in Double, within `τ·S` with `WinogradConvolutionTests`' τ and reasoning (the
/// same transforms and products, summed per image instead of per batch); exactly on small
/// integers; its AVX-512 code against its plain C loop, bit for bit; its weight gradient the
/// direct kernels' bits.
@Suite("Winograd tiles against the definition")
struct WinogradTilesTests {
    static let tolerance = WinogradConvolutionTests.tolerance
    /// The direct kernels' shapes: vgg-s's and resnet-s's 3x3 convs, pruned and odd widths, 7x7
    /// maps (a half-outside last tile row and column), down to a 1 x 1 image; then maps of 7 and
    /// 8 columns (4 tile columns, transformed 4 tile rows at a time) with 4 to 8 tile rows, and of
    /// 13 and 10 columns (7 and 5 tiles a row, transformed 2 tile rows at a time).
    static let shapes = DirectConvolutionTests.shapes
        + [(6, 9, 8, 8, 2), (9, 5, 11, 7, 2), (5, 8, 16, 8, 1), (3, 4, 9, 8, 3), (3, 4, 15, 13, 2), (5, 5, 9, 10, 3)]

    func layer(_ shape: (Int, Int, Int, Int, Int), seed: UInt64) -> Conv2D {
        var rng = SeededGenerator(seed: seed)
        let layer = Conv2D(inChannels: shape.0, outChannels: shape.1, kernelSize: 3, padding: 1, rng: &rng)
        layer.algorithm = .winogradTiles
        return layer
    }

    @Test("forward, ∂x and ∂w are within τ·S of the definition", arguments: shapes.indices)
    func againstDefinition(index: Int) {
        let shape = Self.shapes[index]
        let (c, f, h, w, n) = shape
        let conv = layer(shape, seed: 2600 + UInt64(index))
        #expect(conv.usesWinogradTiles(height: h, width: w) && conv.usesDirectBackward)
        let result = ConvolutionDefinition.worstErrors(conv, inputShape: [n, c, h, w], inputSeed: 2700 + UInt64(index),
                                                       gradientSeed: 2800 + UInt64(index))
        let errors = (result.y, result.dx, result.dw)
        #expect(result.shape == [n, f, h, w])
        #expect(errors.0 < Self.tolerance && errors.1 < Self.tolerance && errors.2 < Self.tolerance,
                "shape \(shape): forward, ∂x, ∂w errors \(errors) of S")
    }

    @Test("small integers: every transform and sum is exact, so Winograd tiles equal the definition exactly",
          arguments: [0, 3, 12, 15])
    func exactIntegers(index: Int) {
        let shape = Self.shapes[index]
        let (_, _, h, w, n) = shape
        let conv = layer(shape, seed: 2900)
        let (y, dx, _, exact) = ConvolutionDefinition.onSmallIntegers(conv, batch: n, height: h, width: w, seed: 2901)
        #expect(y.values.map(Double.init) == exact.y)
        #expect(dx.values.map(Double.init) == exact.dx)
        #expect(conv.weight.gradient.values.map(Double.init) == exact.dw)
    }

    @Test("the AVX-512 code gives the plain C loop's bits: with and without a start, the ReLU and the pool",
          arguments: shapes.indices)
    func fastEqualsPortable(index: Int) {
        Self.expectFastEqualsPortable(layer(Self.shapes[index], seed: 3000 + UInt64(index)), shape: Self.shapes[index],
                                      tile: .twoByTwo, seed: 3100 + UInt64(index))
    }

    @Test("a group of images gives each image the bits it gets alone, AVX-512 and plain C alike",
          arguments: [3, 6, 12, 15, 18, 19, 20])
    func groupsKeepEachImagesBits(index: Int) {
        Self.expectGroupsKeepEachImagesBits(layer(Self.shapes[index], seed: 3600 + UInt64(index)), shape: Self.shapes[index],
                                            tile: .twoByTwo, seed: 3601 + UInt64(index))
    }

    /// Winograd tiles `tile` on one image of `shape` (seeded by `seed`): the outputs of the fastest
    /// code and of the code a CPU without AVX-512 runs (F(4x4, 3x3)'s AVX2, F(2x2, 3x3)'s plain C)
    /// equal the plain C loop's with and without start values, the ReLU and the pool.
    static func expectFastEqualsPortable(_ conv: Conv2D, shape: (Int, Int, Int, Int, Int), tile: WinogradTile, seed: UInt64) {
        let (c, f, h, w, _) = shape
        let x = randomTensor([c, h, w], seed: seed)
        let start = randomTensor([f, h, w], seed: seed + 100).values
        let filters = conv.winogradTileFilters(tile, rotated: false)
        let scratch = DirectScratch(inputs: c, outputs: f, height: h, width: w, winograd: tile)
        func run(_ kernels: ConvolutionKernels, start: [Float]?, relu: Bool, pooled: Bool) -> [Float] {
            let count = pooled ? f * (h / 2) * (w / 2) : f * h * w
            return [Float](unsafeUninitializedCapacity: count) { y, initialized in
                x.values.withUnsafeBufferPointer { image in
                    scratch.convolve(image.baseAddress!, filters, start: start, relu: relu, pooled: pooled,
                                     kernels: kernels, into: y.baseAddress!)
                }
                initialized = count
            }
        }
        for (withStart, relu, pooled) in [(false, false, false), (true, false, false), (true, true, false), (true, true, true),
                                           (false, false, true)] {
            let portable = run(.portable, start: withStart ? start : nil, relu: relu, pooled: pooled)
            for kernels in [ConvolutionKernels.fastest, .avx2] {
                #expect(run(kernels, start: withStart ? start : nil, relu: relu, pooled: pooled) == portable,
                        "shape \(shape), \(tile), \(kernels), start \(withStart), relu \(relu), pooled \(pooled)")
            }
        }
    }

    /// Winograd tiles `tile` on a full group of images of `shape` (seeded by `seed`): each
    /// image's outputs the bits it gets alone, by each code (`ConvolutionKernels`).
    static func expectGroupsKeepEachImagesBits(_ conv: Conv2D, shape: (Int, Int, Int, Int, Int), tile: WinogradTile,
                                               seed: UInt64) {
        let (c, f, h, w, _) = shape
        let grouped = DirectScratch(inputs: c, outputs: f, height: h, width: w, winograd: tile)
        let alone = DirectScratch(inputs: c, outputs: f, height: h, width: w, winograd: tile, grouped: false)
        #expect(grouped.group > 1 && alone.group == 1, "small maps are grouped")
        let n = grouped.group
        let x = randomTensor([n, c, h, w], seed: seed), start = randomTensor([f, h, w], seed: seed + 1).values
        let filters = conv.winogradTileFilters(tile, rotated: false)
        for kernels in [ConvolutionKernels.fastest, .portable, .avx2] {
            let together = [Float](unsafeUninitializedCapacity: n * f * h * w) { y, initialized in
                x.values.withUnsafeBufferPointer {
                    grouped.convolve($0.baseAddress!, filters, images: n, start: start, relu: true, kernels: kernels,
                                     into: y.baseAddress!)
                }
                initialized = n * f * h * w
            }
            let separately = [Float](unsafeUninitializedCapacity: n * f * h * w) { y, initialized in
                x.values.withUnsafeBufferPointer { image in
                    for i in 0..<n {
                        alone.convolve(image.baseAddress! + i * c * h * w, filters, start: start, relu: true, kernels: kernels,
                                       into: y.baseAddress! + i * f * h * w)
                    }
                }
                initialized = n * f * h * w
            }
            #expect(together == separately, "shape \(shape), \(tile), \(kernels)")
        }
    }

    @Test("pooled: MaxPool2D of the ReLU of the unpooled output, bit for bit", arguments: [0, 3, 6, 12, 13, 14, 19, 20, 21, 22, 23, 24])
    func pooledEqualsSeparatePasses(index: Int) {
        let (c, _, h, w, n) = Self.shapes[index]
        let conv = layer(Self.shapes[index], seed: 3300 + UInt64(index))
        conv.outputOffset = randomTensor([conv.outChannels, h, w], seed: 3301)
        let x = randomTensor([n, c, h, w], seed: 3302 + UInt64(index))
        let separate = MaxPool2D(size: 2).forward(conv.forward(x, training: false, thenReLU: true), training: false)
        #expect(conv.predictThenReLUAndMaxPool(x).values == separate.values)
    }

    @Test("the weight gradient is the direct kernels' (the same bits); ∂x masked by the input as the ReLU's backward")
    func weightGradientIsDirect() {
        let shape = (23, 27, 14, 14, 3)
        // A ReLU's output, as the input of a conv that masks its ∂x.
        var x = randomTensor([3, 23, 14, 14], seed: 3401)
        x.values = x.values.map { max($0, 0) }
        let dy = randomTensor([3, 27, 14, 14], seed: 3402)
        func run(_ algorithm: ConvolutionAlgorithm) -> (dx: [Float], dw: [Float], db: [Float]) {
            let conv = layer(shape, seed: 3400)
            conv.algorithm = algorithm
            conv.masksInputGradientByInput = true
            _ = conv.forward(x, training: true)
            let dx = conv.backward(dy)
            return (dx.values, conv.weight.gradient.values, conv.bias.gradient.values)
        }
        let tiles = run(.winogradTiles), direct = run(.direct)
        #expect(tiles.dw == direct.dw && tiles.db == direct.db)
        #expect(zip(tiles.dx, x.values).allSatisfy { dx, input in input > 0 || dx == 0 })
        #expect(tiles.dx.contains { $0 != 0 })
        #expect(zip(tiles.dx, direct.dx).map { abs($0 - $1) }.max()! < 1e-5)
    }

    @Test("automatic picks Winograd tiles on AVX-512 and AVX2 CPUs for stride-1 layers of at least 8 channels each way on maps of at least 7 x 7")
    func automaticRule() {
        var rng = SeededGenerator(seed: 3500)
        func conv(_ c: Int, _ f: Int, stride: Int = 1) -> Conv2D {
            Conv2D(inChannels: c, outChannels: f, kernelSize: 3, stride: stride, padding: 1, rng: &rng)
        }
        let wide = conv(8, 32), thin = conv(7, 64), strided = conv(32, 32, stride: 2)
        #expect(wide.usesWinogradTiles(height: 14, width: 14) == (Conv2D.winogradTiles4AreFast && wide.usesDirect))
        #expect(wide.usesWinogradTiles(height: 7, width: 7) == wide.usesWinogradTiles(height: 14, width: 14))
        #expect(!wide.usesWinogradTiles(height: 6, width: 7) && !wide.usesWinogradTiles(height: 15, width: 6))
        #expect(!thin.usesWinogradTiles(height: 28, width: 28) && !strided.usesWinogradTiles(height: 28, width: 28))
        strided.algorithm = .winogradTiles
        #expect(strided.usesDirect && !strided.usesWinogradTiles(height: 28, width: 28))
        thin.algorithm = .direct
        #expect(!thin.usesWinogradTiles(height: 28, width: 28))
        wide.algorithm = .winogradTiles
        #expect(wide.usesWinogradTiles(height: 1, width: 1))
    }

    @Test("automatic picks F(4x4, 3x3) where it needs at most 0.65 of F(2x2, 3x3)'s products and the batch has 16 tiles")
    func automaticTileSize() {
        var rng = SeededGenerator(seed: 3501)
        let conv = Conv2D(inChannels: 16, outChannels: 16, kernelSize: 3, padding: 1, rng: &rng)
        guard Conv2D.winogradTiles4AreFast && conv.usesDirect else {
            #expect(conv.winogradTile(height: 28, width: 28, batch: 64) == nil)
            return
        }
        // Where F(4x4, 3x3) does not pay: F(2x2, 3x3) with AVX-512, else the direct kernels.
        let otherwise: WinogradTile? = Conv2D.winogradTilesAreFast ? .twoByTwo : nil
        // 7 x 7: 4 tiles of 4 x 4 against 16 of 2 x 2 (0.56 of the products); 14 x 14: 16 against 49 (0.73);
        // 9 x 9: 9 against 25 (0.81).
        #expect(conv.winogradTile(height: 7, width: 7, batch: 4) == .fourByFour)
        #expect(conv.winogradTile(height: 7, width: 7, batch: 3) == otherwise)
        #expect(conv.winogradTile(height: 14, width: 14, batch: 1) == .fourByFour)
        #expect(conv.winogradTile(height: 9, width: 9, batch: 64) == otherwise)
        #expect(conv.winogradTile(height: 16, width: 16, batch: 1) == .fourByFour)
        #expect(conv.winogradTile(height: 28, width: 28, batch: 1) == .fourByFour)
        conv.algorithm = .winogradTiles
        #expect(conv.winogradTile(height: 28, width: 28, batch: 64) == .twoByTwo)
        conv.algorithm = .winogradTiles4
        #expect(conv.winogradTile(height: 7, width: 7, batch: 1) == .fourByFour)
    }
}
