import Foundation
import ShearsNet
import ShearsPrune

/// A configuration that cannot run, named by key and source before any work starts.
public enum CurveConfigurationError: Error, CustomStringConvertible, Equatable {
    /// `source` cannot be read as a configuration at all (not JSON or YAML, not UTF-8, not an object or mapping at the
    /// top level); `reason` says which.
    case malformed(source: String, reason: String)
    /// A key that is neither a field nor `preset`; `valid` lists `validKeys`.
    case unknownKey(String, source: String, valid: [String])
    /// A value of the wrong type or one `validate` refuses; `key` may be a dotted path into a list (`seeds.1`), and
    /// `reason` completes the sentence "'key' …".
    case invalid(key: String, reason: String, source: String)

    public var description: String {
        switch self {
        case let .malformed(source, reason): return "\(source): \(reason)"
        case let .unknownKey(key, source, valid):
            return "\(source): unknown key '\(key)'; valid keys: \(valid.joined(separator: ", "))"
        case let .invalid(key, reason, source): return "\(source): '\(key)' \(reason)"
        }
    }
}

extension CurveConfiguration {
    /// Keys a configuration file may use: every field, and `preset` to start from one.
    public static var validKeys: [String] { ["preset"] + CodingKeys.allCases.map(\.rawValue) }

    /// Reads a configuration file: YAML when its name ends in `.yaml` or `.yml`, else JSON.
    public static func load(file data: Data, source: String) throws -> CurveConfiguration {
        let lowered = source.lowercased()
        return lowered.hasSuffix(".yaml") || lowered.hasSuffix(".yml")
            ? try load(yaml: data, source: source) : try load(json: data, source: source)
    }

    /// Decodes a JSON object over a preset (its `preset` key, or `quick`), refusing unknown
    /// keys and wrong types by name, then validates.
    public static func load(json data: Data, source: String) throws -> CurveConfiguration {
        try ConfigurationText.checkJSON(data, source: source)
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw CurveConfigurationError.malformed(source: source, reason: "not valid JSON (\(error.localizedDescription))")
        }
        guard let object = parsed as? [String: Any] else {
            throw CurveConfigurationError.malformed(source: source, reason: "the top level must be a JSON object")
        }
        return try load(object: object, source: source)
    }

    /// The same keys and checks as `load(json:)`, written as a YAML mapping.
    public static func load(yaml data: Data, source: String) throws -> CurveConfiguration {
        let parsed: Any?
        do {
            guard let text = String(data: data, encoding: .utf8) else {
                throw CurveConfigurationError.malformed(source: source, reason: "not UTF-8 text")
            }
            try ConfigurationText.checkYAML(text, source: source)
            parsed = try YAMLValues.parse(text)
        } catch let error as CurveConfigurationError {
            throw error
        } catch {
            throw CurveConfigurationError.malformed(source: source, reason: "not valid YAML (\(error))")
        }
        guard let object = parsed as? [String: Any] else {
            throw CurveConfigurationError.malformed(source: source, reason: "the top level must be a YAML mapping")
        }
        return try load(object: object, source: source)
    }

    /// Merges a parsed object over its preset, naming unknown keys and wrong types.
    private static func load(object: [String: Any], source: String) throws -> CurveConfiguration {
        for key in object.keys.sorted() where !validKeys.contains(key) {
            throw CurveConfigurationError.unknownKey(key, source: source, valid: validKeys)
        }
        for key in object.keys.sorted() {
            if let kind = ValueKind.of[key], let problem = kind.problem(object[key]!) {
                throw CurveConfigurationError.invalid(key: key, reason: problem, source: source)
            }
        }
        // Only JSON's value types are meaningful (NaN and infinities are not).
        for key in object.keys.sorted() where !JSONSerialization.isValidJSONObject([object[key]!]) {
            throw CurveConfigurationError.invalid(key: key, reason: "must be a number, string, boolean or a list of them",
                                                  source: source)
        }
        var base = CurveConfiguration.quick
        if let preset = object["preset"] {
            guard let name = preset as? String, let chosen = presets[name] else {
                throw CurveConfigurationError.invalid(key: "preset", reason: "must be one of \(presets.keys.sorted())", source: source)
            }
            base = chosen
        }
        var merged = try JSONSerialization.jsonObject(with: JSONEncoder().encode(base)) as! [String: Any]
        for (key, value) in object where key != "preset" { merged[key] = value }
        let configuration: CurveConfiguration
        do {
            configuration = try JSONDecoder().decode(CurveConfiguration.self,
                                                     from: JSONSerialization.data(withJSONObject: merged))
        } catch let error as DecodingError {
            // Keys missing from `ValueKind.of` (newly added fields) land here, named by their path.
            throw CurveConfigurationError.invalid(key: error.keyPath, reason: error.reason, source: source)
        }
        try configuration.validate(source: source)
        return configuration
    }

    /// Refuses configurations that cannot run, naming the key. The checks that depend on the
    /// network (its groups, what a criterion applies to, how far layer pruning reaches) run
    /// against `network` when given, else against the preset when no checkpoint is configured:
    /// a checkpoint (vgg-s built with BatchNorm, a pruned model) is checked once read, by
    /// calling this again with its graph.
    public func validate(source: String, network: GraphSpecification? = nil) throws {
        func fail(_ key: CodingKeys, _ reason: String) -> CurveConfigurationError {
            .invalid(key: key.rawValue, reason: reason, source: source)
        }
        guard let specification = GraphNetwork.curvePresets[model] else {
            throw fail(.model, "is '\(model)'; presets: \(GraphNetwork.curvePresets.keys.sorted().joined(separator: ", "))")
        }
        guard specification.inputShape == [1, FashionMNIST.imageSize, FashionMNIST.imageSize] else {
            throw fail(.model, "is '\(model)', which takes \(specification.inputShape.map(String.init).joined(separator: "x")) images; "
                       + "Fashion-MNIST's are 1x28x28")
        }
        try validateGraph(source: source, network: network ?? (checkpoint == nil ? specification : nil))
    }

    /// What graph curves cannot do: criteria other than the group criteria (at filter, channel
    /// and neuron), the masked criteria (at element, kernel and shape) or the layer criteria
    /// (`validateGraphLayers`), and granularities `network` has no groups of; element, kernel
    /// and shape cells rank globally, repair nothing beyond `obs`'s own update and take no soft
    /// pruning, shape and channel cells no group LASSO (every schedule and compensation runs at
    /// filter and neuron).
    private func validateGraph(source: String, network: GraphSpecification?) throws {
        func fail(_ key: CodingKeys, _ reason: String) -> CurveConfigurationError {
            .invalid(key: key.rawValue, reason: reason, source: source)
        }
        try validateCommon(source: source)
        // Every criterion has a group form, so a name no group criterion takes is unknown.
        if let unknown = criteria.first(where: { !GroupCriteria.accepts($0) }) {
            throw fail(.criteria, "has unknown criterion '\(unknown)'; valid: \(GroupCriteria.names.joined(separator: ", "))")
        }
        if granularities.contains(.layer) { try validateGraphLayers(source: source, network: network) }
        for granularity in granularities where [.filter, .channel, .neuron].contains(granularity) {
            guard let network else { break }
            // The network must have such groups (resnet-s has no hidden linear layer for neuron).
            let groups: [ChannelGroup]
            do { groups = try DependencyGraph(network).prunableGroups(at: granularity) } catch {
                throw fail(.granularities, "has '\(granularity.rawValue)', which \(model) does not have: \(error)")
            }
            // A criterion that applies to none of the groups (bn-scale without BatchNorm) would fail after training.
            if let other = criteria.first(where: { name in
                GroupCriteria.named(name, seed: 0, granularity: granularity).map { !groups.contains(where: $0.applies) } ?? true
            }) {
                throw fail(.criteria, "has '\(other)', which applies to none of \(model)'s \(granularity.rawValue) groups")
            }
        }
        if granularities.contains(.channel), schedules.contains(.groupLasso) {
            throw fail(.schedules, "cannot combine 'group-lasso' with channel on \(model): its penalty acts on the producers' rows (filter, neuron)")
        }
        if schedules.contains(.soft), let masked = granularities.first(where: { $0.isMasked || $0 == .shape }) {
            throw fail(.schedules, "cannot combine 'soft' with \(masked.rawValue) on \(model): soft pruning zeroes whole channels")
        }
        for granularity in granularities where granularity.isMasked || granularity == .shape {
            for name in criteria {
                let criterion: any MaskedCriterion
                do { criterion = try MaskedCriteria.named(name, granularity: granularity, seed: 0) } catch { throw fail(.criteria, "\(error)") }
                // One oracle pass per group: refused up front where the network has too many groups (resnet-s's weights).
                if criterion is MaskedOracleCriterion, let network {
                    let built = try GraphNetwork(network, seed: 0)
                    let layers = granularity == .shape ? try MaskedLayer.columns(in: built)
                        : try MaskedLayer.all(in: built, granularity: granularity)
                    let groups = layers.reduce(0) { $0 + $1.layout.groupCount }
                    guard groups <= OracleGroupCriterion.maximumGroups else {
                        throw fail(.criteria, "has '\(name)' at \(granularity.rawValue): \(model) has \(groups) such groups, one oracle "
                                   + "pass each (limit \(OracleGroupCriterion.maximumGroups))")
                    }
                }
            }
            guard ranking == .global else { throw fail(.ranking, "must be 'global' for \(granularity.rawValue) on \(model)") }
            guard compensation == .none else {
                throw fail(.compensation, "must be 'none' with \(granularity.rawValue) on \(model): "
                           + (granularity == .shape ? "obs applies its own update, the others none" : "masks remove no unit to repair for"))
            }
            if granularity == .shape, schedules.contains(.groupLasso) {
                throw fail(.schedules, "cannot combine 'group-lasso' with shape on \(model)")
            }
        }
    }

    /// Layer cells on a graph: criteria that score a replaced layer (random, l_p, the oracle), no
    /// compensation, no soft or group-LASSO schedule, and FLOPs targets `network` (when known) can
    /// reach with every shape-preserving conv + BatchNorm + ReLU replaced by the identity.
    private func validateGraphLayers(source: String, network specification: GraphSpecification?) throws {
        func fail(_ key: CodingKeys, _ reason: String) -> CurveConfigurationError {
            .invalid(key: key.rawValue, reason: reason, source: source)
        }
        for name in criteria {
            do { _ = try GraphLayerPruning.criterion(name) } catch { throw fail(.criteria, "\(error)") }
        }
        guard compensation == .none else {
            throw fail(.compensation, "must be 'none' with layer on \(model): a layer replaced by the identity leaves nothing to refit")
        }
        if let other = schedules.first(where: { $0 == .soft || $0 == .groupLasso }) {
            throw fail(.schedules, "cannot combine '\(other.rawValue)' with layer on \(model): it zeroes or penalises channels")
        }
        guard let specification else { return }
        let network = try GraphNetwork(specification, seed: 0)
        let candidates = try GraphLayerPruning.candidates(in: network)
        let least = Double(network.macs - candidates.reduce(0) { $0 + $1.macs }) / Double(network.macs)
        if let lowest = flopsTargets.last, lowest < least {
            throw fail(.flopsTargets, "goes down to \(lowest); layer pruning of \(model) reaches no lower than "
                       + "\(Int((least * 100).rounded(.up)))% of the FLOPs (all \(candidates.count) shape-preserving convs replaced by the identity)")
        }
    }

    /// The checks every model family shares.
    private func validateCommon(source: String) throws {
        func fail(_ key: CodingKeys, _ reason: String) -> CurveConfigurationError {
            .invalid(key: key.rawValue, reason: reason, source: source)
        }
        if checkpoint == nil, trainEpochs < 1 { throw fail(.trainEpochs, "must be at least 1 without a checkpoint") }
        try checkBounds(source: source)
        guard !criteria.isEmpty, Set(criteria).count == criteria.count else { throw fail(.criteria, "must be a non-empty list without repeats") }
        guard !granularities.isEmpty, Set(granularities).count == granularities.count else {
            throw fail(.granularities, "must be a non-empty list without repeats")
        }
        guard !schedules.isEmpty, Set(schedules).count == schedules.count else { throw fail(.schedules, "must be a non-empty list without repeats") }
        guard !seeds.isEmpty, Set(seeds).count == seeds.count else { throw fail(.seeds, "must be a non-empty list without repeats") }
        guard !flopsTargets.isEmpty, flopsTargets.allSatisfy({ $0 > 0 && $0 < 1 }) else {
            throw fail(.flopsTargets, "must be fractions of the original FLOPs in (0, 1), got \(flopsTargets)")
        }
        guard zip(flopsTargets, flopsTargets.dropFirst()).allSatisfy({ $0 > $1 }) else {
            throw fail(.flopsTargets, "must be strictly descending, got \(flopsTargets)")
        }
        guard fineTuneSteps >= 0 else { throw fail(.fineTuneSteps, "must be >= 0") }
        guard fineTuneLearningRate > 0, fineTuneLearningRate.isFinite else { throw fail(.fineTuneLearningRate, "must be > 0") }
        guard batchSize >= 1 else { throw fail(.batchSize, "must be at least 1") }
        guard scoringSamples >= 1 else { throw fail(.scoringSamples, "must be at least 1") }
        guard ranking != .hessian else {
            throw fail(.ranking, "'hessian' plans by shares of groups; a FLOPs curve needs 'global' or 'per-layer'")
        }
        guard testLimit >= 0 else { throw fail(.testLimit, "must be >= 0 (0 = all)") }
        guard trainLimit >= 0 else { throw fail(.trainLimit, "must be >= 0 (0 = all)") }
        guard latencyImages >= 1 else { throw fail(.latencyImages, "must be at least 1") }
        guard !penaltyStrengths.isEmpty, penaltyStrengths.allSatisfy({ $0 > 0 && $0.isFinite }),
              zip(penaltyStrengths, penaltyStrengths.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw fail(.penaltyStrengths, "must be positive and strictly ascending, got \(penaltyStrengths)")
        }
        guard minLayerKeep >= 0, minLayerKeep < 1 else { throw fail(.minLayerKeep, "must be a share in [0, 1), got \(minLayerKeep)") }
        guard obsDamping >= 0, obsDamping.isFinite else { throw fail(.obsDamping, "must be >= 0, got \(obsDamping)") }
        guard flopsPerStep > 0, flopsPerStep < 1 else { throw fail(.flopsPerStep, "must be a share in (0, 1), got \(flopsPerStep)") }
        guard stepFineTuneSteps >= 0 else { throw fail(.stepFineTuneSteps, "must be >= 0") }
        guard (1...256).contains(roundTo) else { throw fail(.roundTo, "must be in 1...256 (1 = no rounding), got \(roundTo)") }
    }
}

extension CurveConfiguration {
    /// What can run on one machine: Fashion-MNIST's split sizes, a batch whose activations fit
    /// in memory, step counts that finish within weeks, grids of at most 10,000 cells.
    static let bounds: [CodingKeys: ClosedRange<Int>] = [
        .trainEpochs: 0...1_000, .fineTuneSteps: 0...1_000_000, .batchSize: 1...1_024,
        .scoringSamples: 1...5_000, .testLimit: 0...10_000, .trainLimit: 0...60_000, .latencyImages: 1...10_000,
        .stepFineTuneSteps: 0...1_000_000,
    ]
    static let maximumLearningRate = 10.0
    static let maximumListLength = 100
    static let maximumCells = 10_000

    /// Refuses numbers and lists beyond `bounds`, naming the key and the range.
    func checkBounds(source: String) throws {
        func fail(_ key: CodingKeys, _ reason: String) -> CurveConfigurationError {
            .invalid(key: key.rawValue, reason: reason, source: source)
        }
        let values: [(CodingKeys, Int)] = [
            (.trainEpochs, trainEpochs), (.fineTuneSteps, fineTuneSteps), (.batchSize, batchSize),
            (.scoringSamples, scoringSamples), (.testLimit, testLimit), (.trainLimit, trainLimit),
            (.latencyImages, latencyImages), (.stepFineTuneSteps, stepFineTuneSteps),
        ]
        for (key, value) in values {
            guard let range = Self.bounds[key], !range.contains(value) else { continue }
            throw fail(key, "is \(value), must be in \(range.lowerBound)...\(range.upperBound)")
        }
        guard fineTuneLearningRate > 0, fineTuneLearningRate <= Self.maximumLearningRate else {
            throw fail(.fineTuneLearningRate, "is \(fineTuneLearningRate), must be in (0, \(Int(Self.maximumLearningRate))]")
        }
        let lists: [(CodingKeys, Int)] = [(.criteria, criteria.count), (.granularities, granularities.count),
                                          (.schedules, schedules.count), (.seeds, seeds.count),
                                          (.flopsTargets, flopsTargets.count), (.penaltyStrengths, penaltyStrengths.count)]
        for (key, count) in lists where count > Self.maximumListLength {
            throw fail(key, "has \(count) entries, at most \(Self.maximumListLength)")
        }
        let cells = criteria.count * granularities.count * schedules.count * seeds.count
        guard cells <= Self.maximumCells else {
            throw fail(.seeds, "makes a grid of \(cells) cells (criteria x granularities x schedules x seeds), at most \(Self.maximumCells)")
        }
    }
}
