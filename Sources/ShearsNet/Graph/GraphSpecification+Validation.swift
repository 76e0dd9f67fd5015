/// Limits on a graph read from a file, checked before any layer is allocated.
extension GraphSpecification {
    /// The most nodes accepted (a ResNet-152 has about 500 modules).
    public static let maximumNodes = 4096
    /// The most parameters a graph may have, as for a VGG configuration: 32 M.
    public static let maximumParameters = VGGConfiguration.maximumParameters

    /// Why this graph cannot be built, as one sentence, or nil when it can: names, wiring,
    /// shapes, a `[N, classes]` output, no dead node, and the parameter count.
    public var problem: String? {
        guard !nodes.isEmpty, nodes.count <= Self.maximumNodes else {
            return "a graph has 1...\(Self.maximumNodes) nodes, this one \(nodes.count)"
        }
        var seen: Set<String> = [Self.inputName]
        for node in nodes {
            guard !node.name.isEmpty, node.name.count <= 256,
                  node.name.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0) })
            else { return "node name '\(node.name.prefix(64))' must be 1...256 letters, digits, '.', '_' or '-'" }
            guard seen.insert(node.name).inserted else { return "two nodes are named '\(node.name)' (or one is named 'input')" }
        }
        let shapes: [[Int]]
        do { shapes = try self.shapes() } catch { return "\(error)" }
        guard let output = shapes.last, output.count == 2 else {
            return "the last node '\(nodes[nodes.count - 1].name)' must output [N, classes], it outputs \(shapes.last ?? [])"
        }
        let consumed = Set(nodes.flatMap(\.inputs))
        if let dead = nodes.dropLast().first(where: { !consumed.contains($0.name) }) {
            return "node '\(dead.name)' is read by no other node"
        }
        guard parameterCount <= Self.maximumParameters else {
            return "\(parameterCount) parameters; at most \(Self.maximumParameters)"
        }
        return nil
    }
}
