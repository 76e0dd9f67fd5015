import Foundation
import ShearsNet
@testable import ShearsPrune

// Brute-force references for the criteria tests: losses by running the network, per-example
// gradients by running each example alone, input Hessians from im2col columns built here,
// and a Gauss–Jordan inverse in Double; none of them calls the code under test.

/// conv(4) on 8x8, pool, conv(6) on 4x4, pool, flatten (24), hidden 5, 3 classes: the
/// VGG-shaped graph the criteria are checked on; with BatchNorm at random statistics (seed 3).
func smallVGGGraph(batchNorm: Bool) throws -> GraphNetwork {
    let configuration = VGGConfiguration(features: [.conv(4), .pool, .conv(6), .pool], hidden: [5], inputChannels: 1,
                                         inputSize: 8, classes: 3, batchNorm: batchNorm)
    let network = try GraphNetwork(configuration.graph, seed: 2)
    randomizeNormalization(network, seed: 3)
    return network
}

/// Index of the node called `name`.
func nodeIndex(_ network: GraphNetwork, _ name: String) -> Int {
    guard let index = network.nodes.firstIndex(where: { $0.name == name }) else { preconditionFailure("no node \(name)") }
    return index
}

/// Mean cross-entropy of `network` over all of `data`, one evaluation pass.
func meanLoss(_ network: GraphNetwork, _ data: Dataset) -> Double {
    let (images, labels) = data.batch(Array(0..<data.count)[...])
    return Double(CrossEntropy(logits: network.forward(images, training: false), labels: labels).loss)
}

/// Leaves in every parameter's gradient ∂L/∂w of the mean loss over all of `data`, one pass.
func backpropagateMeanLoss(_ network: GraphNetwork, _ data: Dataset) {
    network.zeroGradients()
    let (images, labels) = data.batch(Array(0..<data.count)[...])
    _ = network.backward(CrossEntropy(logits: network.forward(images, training: false), labels: labels).gradient)
}

/// Empirical Fisher diagonal of the weight (first parameter) of each node in `nodes`:
/// `(1/N) Σ_n (∂ℓ_n/∂w_q)²`, each example run alone.
func fisherDiagonal(_ network: GraphNetwork, nodes: [Int], data: Dataset) -> [Int: [Double]] {
    var fisher = Dictionary(uniqueKeysWithValues: nodes.map {
        ($0, [Double](repeating: 0, count: network.nodes[$0].layer!.parameters[0].value.count))
    })
    for n in 0..<data.count {
        backpropagateMeanLoss(network, data.subset([n]))
        for node in nodes {
            for (q, g) in network.nodes[node].layer!.parameters[0].gradient.values.enumerated() {
                fisher[node]![q] += Double(g) * Double(g) / Double(data.count)
            }
        }
    }
    network.zeroGradients()
    return fisher
}

/// The samples a conv or linear node reads on `data`: every output position's im2col column
/// `(c, ky, kx)` (zero padding, PyTorch's weight order) of a conv, every image's input of a
/// linear layer.
func inputSamples(_ network: GraphNetwork, node: Int, data: Dataset) -> [[Double]] {
    let images = data.batch(Array(0..<data.count)[...]).images
    network.isRecording = true
    _ = network.forward(images, training: false)
    let source = network.nodes[node].inputs[0]
    let input = source < 0 ? images : network.recordedOutputs[source]
    network.isRecording = false
    guard let conv = network.nodes[node].layer as? Conv2D else {
        return (0..<input.shape[0]).map { n in input.values[(n * input.itemSize)..<((n + 1) * input.itemSize)].map(Double.init) }
    }
    let (channels, height, width) = (input.shape[1], input.shape[2], input.shape[3])
    let (kh, kw, pad, stride) = (conv.kernelHeight, conv.kernelWidth, conv.padding, conv.stride)
    let (outHeight, outWidth) = ((height + 2 * pad - kh) / stride + 1, (width + 2 * pad - kw) / stride + 1)
    var samples: [[Double]] = []
    for n in 0..<input.shape[0] {
        for oy in 0..<outHeight {
            for ox in 0..<outWidth {
                var column: [Double] = []
                for c in 0..<channels {
                    for ky in 0..<kh {
                        for kx in 0..<kw {
                            let (y, x) = (oy * stride + ky - pad, ox * stride + kx - pad)
                            let inside = y >= 0 && y < height && x >= 0 && x < width
                            column.append(inside ? Double(input.values[((n * channels + c) * height + y) * width + x]) : 0)
                        }
                    }
                }
                samples.append(column)
            }
        }
    }
    return samples
}

/// `H = (2/N) Σ x xᵀ` over `samples`, plus `δ · mean(diag H)` on the diagonal.
func inputHessian(_ samples: [[Double]], relativeDamping delta: Double = 0) -> [[Double]] {
    let k = samples[0].count
    var h = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
    for x in samples { for p in 0..<k where x[p] != 0 { for q in 0..<k { h[p][q] += x[p] * x[q] } } }
    let scale = 2 / Double(samples.count)
    h = h.map { $0.map { $0 * scale } }
    let lambda = delta * (0..<k).reduce(0.0) { $0 + h[$1][$1] } / Double(k)
    for i in 0..<k { h[i][i] += lambda }
    return h
}

/// The inverse of a non-singular square matrix, by Gauss–Jordan elimination with partial pivoting.
func inverse(_ matrix: [[Double]]) -> [[Double]] {
    let n = matrix.count
    var a = matrix, b = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
    for column in 0..<n {
        let pivot = (column..<n).max { abs(a[$0][column]) < abs(a[$1][column]) }!
        a.swapAt(column, pivot)
        b.swapAt(column, pivot)
        let d = a[column][column]
        a[column] = a[column].map { $0 / d }
        b[column] = b[column].map { $0 / d }
        for row in 0..<n where row != column && a[row][column] != 0 {
            let f = a[row][column]
            for j in 0..<n { a[row][j] -= f * a[column][j]; b[row][j] -= f * b[column][j] }
        }
    }
    return b
}

/// `½ Σ_rows w_{r,S}ᵀ ([H⁻¹]_SS)⁻¹ w_{r,S}`: the OBS saliency (Hassibi & Stork 1993, eq. 5,
/// w_q²/(2[H⁻¹]_qq) for one weight) of removing columns `columns` from rows `rows` of the
/// row-major `weight` (rows x K), given `hInverse = H⁻¹`.
func obsSaliency(_ weight: [Float], rowLength: Int, rows: [Int], columns: [Int], hInverse: [[Double]]) -> Double {
    let block = inverse(columns.map { p in columns.map { hInverse[p][$0] } })
    var total = 0.0
    for r in rows {
        let w = columns.map { Double(weight[r * rowLength + $0]) }
        for i in columns.indices { for j in columns.indices { total += w[i] * block[i][j] * w[j] } }
    }
    return total / 2
}

/// Scores divided by their l2 norm (left as they are when all zero): how global ranking compares layers.
func unitNormalised(_ scores: [Double]) -> [Double] {
    let norm = scores.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return norm > 0 ? scores.map { $0 / norm } : scores
}

/// What global ranking removes, by hand: the `count` lowest of all groups' scores, each
/// layer's divided by their l2 norm (as they are when `comparable`), ties by layer then group,
/// every layer keeping its highest-scored group (ties: the higher index); per layer, ascending.
func globallyLowest(_ scores: [[Double]], count: Int, comparable: Bool) -> [[Int]] {
    var order: [(score: Double, layer: Int, group: Int)] = []
    for (layer, layerScores) in scores.enumerated() {
        let ranked = comparable ? layerScores : unitNormalised(layerScores)
        let best = layerScores.indices.max { (layerScores[$0], $0) < (layerScores[$1], $1) }!
        for group in layerScores.indices where group != best { order.append((ranked[group], layer, group)) }
    }
    order.sort { ($0.score, $0.layer, $0.group) < ($1.score, $1.layer, $1.group) }
    var removed = scores.map { _ in [Int]() }
    for entry in order.prefix(count) { removed[entry.layer].append(entry.group) }
    return removed.map { $0.sorted() }
}

/// The mean cross-entropy over all of `data`, log-softmax taken in Double from the Float
/// logits, and the network's kink pattern there: for every ReLU output whether it is positive,
/// for every max-pool window which input wins. Where two networks share the pattern, the
/// loss is smooth (affine layers, then softmax) along the segment between them.
func lossAndKinks(_ network: GraphNetwork, _ data: Dataset) -> (loss: Double, kinks: [Int]) {
    let (images, labels) = data.batch(Array(0..<data.count)[...])
    network.isRecording = true
    defer { network.isRecording = false }
    let logits = network.forward(images, training: false)
    var loss = 0.0
    for (n, label) in labels.enumerated() {
        let z = logits.values[(n * logits.itemSize)..<((n + 1) * logits.itemSize)].map(Double.init)
        let top = z.max()!
        loss += top + log(z.reduce(0.0) { $0 + exp($1 - top) }) - z[label]
    }
    var kinks: [Int] = []
    for (index, node) in network.nodes.enumerated() {
        switch node.layer {
        case is ReLU:
            kinks += network.recordedOutputs[index].values.map { $0 > 0 ? 1 : 0 }
        case let pool as MaxPool2D:
            let input = node.inputs[0] < 0 ? images : network.recordedOutputs[node.inputs[0]]
            let (planes, height, width) = (input.shape[0] * input.shape[1], input.shape[2], input.shape[3])
            for plane in 0..<planes {
                for oy in 0...((height - pool.size) / pool.stride) {
                    for ox in 0...((width - pool.size) / pool.stride) {
                        let window = (0..<(pool.size * pool.size)).map { k in
                            (plane * height + oy * pool.stride + k / pool.size) * width + ox * pool.stride + k % pool.size
                        }
                        kinks.append(window.max { input.values[$0] < input.values[$1] }!)
                    }
                }
            }
        default:
            break
        }
    }
    return (loss / Double(labels.count), kinks)
}

/// `(L(1 + ε) − L(1 − ε)) / 2ε` for `evaluate(factor)` = `lossAndKinks` of the network with some
/// weights scaled by `factor`, at the largest ε of 1e-2, 3e-3, 1e-3 whose two networks share
/// their kink pattern (a kink between them would make the difference meaningless), and that ε;
/// nil when none does.
func smoothCentralDifference(_ evaluate: (Float) -> (loss: Double, kinks: [Int])) -> (derivative: Double, epsilon: Double)? {
    for epsilon: Float in [1e-2, 3e-3, 1e-3] {
        let (up, down) = (evaluate(1 + epsilon), evaluate(1 - epsilon))
        if up.kinks == down.kinks { return ((up.loss - down.loss) / (2 * Double(epsilon)), Double(epsilon)) }
    }
    return nil
}

/// How far a smooth central difference may be from the derivative: the truncation O(ε²) of
/// the softmax's curvature (below 0.5% of it here), and the Float logits' rounding (~1e-7 each,
/// ~3e-8 in a mean over a dozen examples) over 2ε.
func centralDifferenceTolerance(_ measured: Double, epsilon: Double) -> Double {
    0.005 * abs(measured) + 1e-7 / epsilon
}
