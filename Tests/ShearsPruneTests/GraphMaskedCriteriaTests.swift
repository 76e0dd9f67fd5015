import Foundation
import ShearsNet
import Testing
@testable import ShearsPrune

/// The element, kernel and shape criteria on a VGG-shaped graph with BatchNorm, each against
/// its definition: norms by hand, losses measured by running the network, per-example
/// gradients, second differences, and OBS on input Hessians built here from im2col columns.
@Suite("Element, kernel and shape criteria by brute force on a VGG-shaped graph")
struct GraphMaskedCriteriaTests {
    let data = Dataset.synthetic(count: 12, height: 8, width: 8, classCount: 3, seed: 1)

    /// The network and its layers at `granularity` (every conv and linear node at element,
    /// every conv at kernel and shape), checked by name.
    func layers(_ granularity: Granularity) throws -> (GraphNetwork, [MaskedLayer]) {
        let network = try smallVGGWithBatchNorm()
        let layers = try granularity == .shape ? MaskedLayer.columns(in: network)
                                               : MaskedLayer.all(in: network, granularity: granularity)
        #expect(layers.map(\.name) == (granularity == .element ? ["features.0", "features.4", "classifier.0", "classifier.2"]
                                                              : ["features.0", "features.4"]))
        return (network, layers)
    }

    /// The rows and columns of the weight as a row-major matrix (rows x K) that group `g` of
    /// `layer` covers, by hand: one weight; one row's kh·kw block of one input channel; one
    /// column of every row.
    func members(_ g: Int, of layer: MaskedLayer) -> (rows: [Int], columns: [Int]) {
        let shape = layer.weight.value.shape, rowLength = layer.weight.value.itemSize
        switch layer.granularity {
        case .element: return ([g / rowLength], [g % rowLength])
        case .kernel:
            let kernel = shape[2] * shape[3]
            return ([g / shape[1]], Array(((g % shape[1]) * kernel)..<((g % shape[1] + 1) * kernel)))
        default: return (Array(0..<shape[0]), [g])
        }
    }

    /// Flat weight indices of group `g` of `layer`, by hand.
    func indices(_ g: Int, of layer: MaskedLayer) -> [Int] {
        let (rows, columns) = members(g, of: layer), rowLength = layer.weight.value.itemSize
        return rows.flatMap { r in columns.map { r * rowLength + $0 } }
    }

    /// Group counts: 36 + 216 + 120 + 15 weights, 4 + 24 kernels, 9 + 36 columns.
    func groupCounts(_ granularity: Granularity) -> [Int] {
        switch granularity {
        case .element: [36, 216, 120, 15]
        case .kernel: [4, 24]
        default: [9, 36]
        }
    }

    /// At most about twelve groups of each layer, spread over it: what the finite-difference checks visit.
    func sampled(_ layer: MaskedLayer) -> [Int] {
        Array(stride(from: 0, to: layer.layout.groupCount, by: max(1, layer.layout.groupCount / 12)))
    }

    /// Runs `body` with group `g` of `layer` scaled by `factor`, then restores the weight.
    func scaled<T>(_ layer: MaskedLayer, group g: Int, by factor: Float, _ body: () -> T) -> T {
        let saved = layer.weight.value
        defer { layer.weight.value = saved }
        for i in indices(g, of: layer) { layer.weight.value.values[i] *= factor }
        return body()
    }

    @Test("l1 and lp:3 are the groups' norms, by hand", arguments: [Granularity.element, .kernel, .shape], ["l1", "lp:3"])
    func norms(granularity: Granularity, name: String) throws {
        let (network, layers) = try layers(granularity)
        let scores = try MaskedCriteria.named(name, granularity: granularity, seed: 0).scores(network, layers: layers,
                                                                                                calibration: nil)
        let p = name == "l1" ? 1.0 : 3.0
        #expect(scores.map(\.count) == groupCounts(granularity))
        for (layer, layerScores) in zip(layers, scores) {
            for (g, score) in layerScores.enumerated() {
                let values = indices(g, of: layer).map { Double(abs(layer.weight.value.values[$0])) }
                let expected = pow(values.reduce(0) { $0 + pow($1, p) }, 1 / p)
                // Double sums of at most 36 Float magnitudes: 1e-12 relative.
                #expect(abs(score - expected) <= 1e-12 * max(1, expected), "\(layer.name)[\(g)]: \(score) vs \(expected)")
            }
            #expect(Set(layerScores).count == layerScores.count, "\(layer.name): tied norms, a weak test")
        }
    }

    @Test("random draws uniform scores in [0, 1) from SeededGenerator(seed:) in layer and group order, compared across layers as they are",
          arguments: [Granularity.element, .kernel, .shape])
    func random(granularity: Granularity) throws {
        let (network, layers) = try layers(granularity)
        let criterion = try MaskedCriteria.named("random", granularity: granularity, seed: 7)
        let scores = try criterion.scores(network, layers: layers, calibration: nil)
        var rng = SeededGenerator(seed: 7)
        #expect(scores.map(\.count) == groupCounts(granularity))
        let draws = scores.joined().map { _ in Double(rng.nextUnitFloat()) }
        #expect(Array(scores.joined()) == draws && draws.allSatisfy { $0 >= 0 && $0 < 1 })
        #expect(try criterion.scores(network, layers: layers, calibration: nil) == scores)
        #expect(try MaskedCriteria.named("random", granularity: granularity, seed: 8).scores(network, layers: layers,
                                                                                            calibration: nil) != scores)
        #expect(criterion.scoresComparableAcrossLayers && criterion.input == .weights)
        let all = Array(scores.joined())
        // A uniform mean has standard deviation 0.29/√n: 0.015 for the 387 weights, 0.043 for the 45 columns.
        let mean = all.reduce(0, +) / Double(all.count)
        #expect(abs(mean - 0.5) <= 4 * 0.29 / Double(all.count).squareRoot(), "mean \(mean) of \(all.count) draws")
    }

    @Test("taylor-weight is |Σ w·∂L/∂w| over the group: the first-order loss change of scaling it by 1 ± ε, measured",
          arguments: [Granularity.element, .kernel, .shape])
    func taylorWeight(granularity: Granularity) throws {
        let (network, layers) = try layers(granularity)
        let scores = try MaskedTaylorWeightCriterion(batchSize: 5).scores(network, layers: layers, calibration: data)
        var (checked, positive) = (0, 0)
        for (layer, layerScores) in zip(layers, scores) {
            for g in sampled(layer) {
                guard case let (derivative, epsilon)? = smoothCentralDifference({ factor in
                    scaled(layer, group: g, by: factor) { lossAndKinks(network, data) }
                }) else { continue }
                let measured = abs(derivative)
                #expect(abs(layerScores[g] - measured) <= centralDifferenceTolerance(measured, epsilon: epsilon),
                        "\(layer.name)[\(g)]: \(layerScores[g]) vs \(measured)")
                checked += 1
                positive += measured > 1e-4 ? 1 : 0
            }
        }
        #expect(checked >= 12 && positive >= 8, "\(checked) sampled groups smooth, \(positive) with a measurable change: a weak test")
    }

    @Test("taylor-sq (Molchanov et al. 2019, eqs. 7–8) averages over minibatches the squared loss change of a gate on the group's weights",
          arguments: [Granularity.element, .kernel, .shape])
    func taylorSquared(granularity: Granularity) throws {
        let (network, layers) = try layers(granularity)
        let scores = try MaskedTaylorSquaredCriterion(minibatch: 6).scores(network, layers: layers, calibration: data)
        let minibatches = [data.subset(Array(0..<6)), data.subset(Array(6..<12))]
        var (checked, positive) = (0, 0)
        for (layer, layerScores) in zip(layers, scores) {
            groups: for g in sampled(layer) {
                var (meanSquare, tolerance) = (0.0, 0.0)
                for minibatch in minibatches {
                    guard case let (derivative, epsilon)? = smoothCentralDifference({ gate in
                        scaled(layer, group: g, by: gate) { lossAndKinks(network, minibatch) }
                    }) else { continue groups }
                    meanSquare += derivative * derivative / 2
                    // |√mean d² − √mean d̂²| ≤ max |d − d̂|.
                    tolerance = max(tolerance, centralDifferenceTolerance(derivative, epsilon: epsilon))
                }
                let (computed, measured) = (layerScores[g].squareRoot(), meanSquare.squareRoot())
                #expect(abs(computed - measured) <= tolerance, "\(layer.name)[\(g)]: √\(layerScores[g]) vs \(measured)")
                checked += 1
                positive += measured > 1e-4 ? 1 : 0
            }
        }
        #expect(checked >= 12 && positive >= 8, "\(checked) sampled groups smooth, \(positive) with a measurable derivative: a weak test")
    }

    @Test("obd (LeCun et al. 1990, eq. 5) is ½ Σ h w² over the group, h the mean squared gradient of each example run alone",
          arguments: [Granularity.element, .kernel, .shape])
    func obd(granularity: Granularity) throws {
        let (network, layers) = try layers(granularity)
        let scores = try MaskedObdCriterion(batchSize: 5).scores(network, layers: layers, calibration: data)
        let fisher = fisherDiagonal(network, nodes: layers.map(\.node), data: data)
        for (layer, layerScores) in zip(layers, scores) {
            let w = layer.weight.value.values
            let expected = layerScores.indices.map { g in
                indices(g, of: layer).reduce(0.0) { $0 + fisher[layer.node]![$1] * Double(w[$1]) * Double(w[$1]) } / 2
            }
            // Float per-example gradients from batches of 5 and of 1, squared in Double: 1e-4
            // relative (as GroupCriteriaResidualTests.obdByHand); a never-active group is 0 on both sides.
            for (g, (computed, byHand)) in zip(layerScores, expected).enumerated() {
                #expect(abs(computed - byHand) <= 1e-4 * byHand + 1e-15, "\(layer.name)[\(g)]: \(computed) vs \(byHand)")
            }
            // Dead hidden units (two of five on these twelve images) have none.
            #expect(expected.filter { $0 > 0 }.count * 4 > expected.count, "\(layer.name): mostly zero saliencies, a weak test")
        }
    }

    @Test("obd-exact is ½ Σ h w² on the exact diagonal, which second differences of the mean loss measure where the loss is smooth, and the empirical Fisher is not",
          arguments: [Granularity.element, .kernel, .shape])
    func obdExact(granularity: Granularity) throws {
        let (network, layers) = try layers(granularity)
        let scores = try MaskedObdCriterion(exact: true, batchSize: 5).scores(network, layers: layers, calibration: data)
        let fisherScores = try MaskedObdCriterion(batchSize: 5).scores(network, layers: layers, calibration: data)
        let diagonal = ObdExactGroupCriterion(batchSize: 7).hessianDiagonal(network, producers: Set(layers.map(\.node)), data: data)
        for (layer, layerScores) in zip(layers, scores) {
            let w = layer.weight.value.values
            for (g, computed) in layerScores.enumerated() {
                let byHand = indices(g, of: layer).reduce(0.0) { $0 + diagonal[layer.node]![$1] * Double(w[$1]) * Double(w[$1]) } / 2
                // The same diagonal from batches of 5 and 7: sums in another order, 1e-9 relative.
                #expect(abs(computed - byHand) <= 1e-9 * max(byHand, 1e-12), "\(layer.name)[\(g)]")
            }
        }
        let differing = zip(scores.joined(), fisherScores.joined()).filter { abs($0 - $1) > 0.05 * max($0, $1) }.count
        #expect(differing >= 3, "obd-exact and obd differ on only \(differing) groups")
        guard granularity == .element else { return }
        // classifier.2 reaches the logits without a ReLU: the loss is smooth in its weights and
        // its Hessian diagonal is the Gauss–Newton one exactly.
        let last = layers[3]
        let epsilon: Float = 0.0625
        for q in 0..<last.layout.groupCount {
            let w = last.weight.value.values[q]
            let base = meanLoss(network, data)
            last.weight.value.values[q] = w + epsilon
            let up = meanLoss(network, data)
            last.weight.value.values[q] = w - epsilon
            let down = meanLoss(network, data)
            last.weight.value.values[q] = w
            let h = (up - 2 * base + down) / Double(epsilon * epsilon)
            let expected = h * Double(w) * Double(w) / 2
            // Float loss rounding ~3e-7 amplified by 4/ε² = 1024 (3e-4 on h, half that on ½hw²);
            // truncation ε²/12 · ∂⁴L/∂w⁴ below 1% for logits moving by ε times activations of a few units.
            #expect(abs(scores[3][q] - expected) <= 0.01 * expected + 2e-4 * Double(w * w),
                    "classifier.2[\(q)]: \(scores[3][q]) vs second difference \(expected)")
        }
    }

    @Test("obs-no-update (Hassibi & Stork 1993, eq. 5) is ½ Σ w_Sᵀ([H⁻¹]_SS)⁻¹ w_S, w_q²/(2[H⁻¹]_qq) for one weight, on H = (2/N) Σ x xᵀ + δ·mean(diag H)·I built from the layer's inputs",
          arguments: [Granularity.element, .kernel, .shape])
    func obsNoUpdate(granularity: Granularity) throws {
        let (network, layers) = try layers(granularity)
        let criterion = try MaskedCriteria.named("obs-no-update", granularity: granularity, seed: 0)
        let scores = try criterion.scores(network, layers: layers, calibration: data)
        for (layer, layerScores) in zip(layers, scores) {
            let samples = inputSamples(network, node: layer.node, data: data)
            let hInverse = inverse(inputHessian(samples, relativeDamping: OptimalBrainSurgeon.defaultRelativeDamping))
            let expected = layerScores.indices.map { g in
                let (rows, columns) = members(g, of: layer)
                return obsSaliency(layer.weight.value.values, rowLength: layer.weight.value.itemSize, rows: rows,
                                   columns: columns, hInverse: hInverse)
            }
            // H in Double from Float inputs either way, inverted by Cholesky or Gauss–Jordan; the
            // damping bounds the condition number near 100 · n: 1e-6 of the layer's largest saliency.
            let scale = expected.max() ?? 0
            #expect(scale > 0, "\(layer.name): every saliency is zero")
            for (g, (computed, byHand)) in zip(layerScores, expected).enumerated() {
                #expect(abs(computed - byHand) <= 1e-6 * scale, "\(layer.name)[\(g)]: \(computed) vs \(byHand)")
            }
        }
    }

    @Test("oracle and oracle-abs are the mean loss change, and its magnitude, of zeroing the group on a copy",
          arguments: [Granularity.element, .kernel, .shape])
    func oracle(granularity: Granularity) throws {
        let (network, layers) = try layers(granularity)
        let signed = try MaskedCriteria.named("oracle", granularity: granularity, seed: 0).scores(network, layers: layers,
                                                                                                  calibration: data)
        let absolute = try MaskedOracleCriterion(signed: false, batchSize: 5).scores(network, layers: layers, calibration: data)
        let base = meanLoss(network, data)
        var largest = 0.0
        for (index, layer) in layers.enumerated() {
            for g in 0..<layer.layout.groupCount {
                let copy = network.copy()
                let weight = copy.nodes[layer.node].layer!.parameters[0]
                for i in indices(g, of: layer) { weight.value.values[i] = 0 }
                let measured = meanLoss(copy, data) - base
                largest = max(largest, abs(measured))
                // Float losses of batches of 128 and of 12, averaged in Double: 1e-6.
                #expect(abs(signed[index][g] - measured) <= 1e-6, "\(layer.name)[\(g)]: \(signed[index][g]) vs \(measured)")
                #expect(abs(absolute[index][g] - abs(measured)) <= 1e-6)
            }
        }
        #expect(largest > 1e-3, "no group changes the loss: a weak test")
        #expect(meanLoss(network, data) == base, "scoring left the network changed")
    }

    @Test("the oracle refuses more groups than it can afford passes for, naming them, at element and on neurons")
    func oracleLimit() throws {
        let vgg = try GraphNetwork(VGGConfiguration.vggS.graph, seed: 1)
        let digits = Dataset.synthetic(count: 1, seed: 2)
        #expect {
            try MaskedOracleCriterion(signed: true).scores(vgg, layers: MaskedLayer.all(in: vgg, granularity: .element),
                                                          calibration: digits)
        } throws: { error in
            guard case let .tooManyOraclePasses(groups, limit)? = error as? PruningError else { return false }
            return groups > 430_000 && limit == OracleGroupCriterion.maximumGroups && !"\(error)".contains("\n")
        }
        let wide = try GraphNetwork(VGGConfiguration.mlp(inputChannels: 1, inputSize: 2, hidden: [20_001], classes: 2).graph, seed: 1)
        let groups = try DependencyGraph(wide.specification).prunableGroups
        #expect(groups.map(\.width) == [20_001])
        #expect(throws: PruningError.tooManyOraclePasses(groups: 20_001, limit: 20_000)) {
            try OracleGroupCriterion(signed: true).scores(wide, groups: groups,
                                                          calibration: Dataset.synthetic(count: 1, height: 2, width: 2, classCount: 2, seed: 3))
        }
    }

    @Test("criteria of a unit's activations, group-only ones and obs (defined with its update) are refused at element and kernel in one line",
          arguments: ["activation", "activation-std", "apoz", "taylor", "taylor-batch", "bn-scale", "obs"],
          [Granularity.element, .kernel])
    func refusals(name: String, granularity: Granularity) {
        #expect {
            _ = try MaskedCriteria.named(name, granularity: granularity, seed: 0)
        } throws: { error in
            guard case let .granularityNotApplicable(refused, layer, _)? = error as? PruningError else { return false }
            return refused == granularity && layer.contains(name) && !"\(error)".contains("\n")
        }
        #expect(throws: PruningError.self) { try MaskedCriteria.named("no-such", granularity: granularity, seed: 0) }
    }
}
