import StrataRuntime

/// Typed reads of an architecture's hyperparameters (`<arch>.<key>` in GGUF metadata): absent
/// keys are nil, keys of the wrong type are errors naming the key.
struct ArchitectureKeys {
    let gguf: GGUFFile
    /// `general.architecture`, the prefix of every key.
    let architecture: String

    init(_ gguf: GGUFFile) throws(ModelFileError) {
        guard let arch = gguf.architecture else { throw .missingKey("general.architecture") }
        self.gguf = gguf
        architecture = arch
    }

    private func value(_ key: String) -> (String, GGUFValue)? {
        let name = "\(architecture).\(key)"
        return gguf.metadata[name].map { (name, $0) }
    }

    /// An integer key.
    func int(_ key: String) throws(ModelFileError) -> Int? {
        guard let (name, v) = value(key) else { return nil }
        guard let i = v.int else { throw .wrongKeyType(key: name, expected: "an integer") }
        return i
    }

    /// An integer key the architecture cannot do without.
    func required(_ key: String) throws(ModelFileError) -> Int {
        guard let v = try int(key) else { throw .missingKey("\(architecture).\(key)") }
        return v
    }

    /// A number key.
    func float(_ key: String) throws(ModelFileError) -> Float? {
        guard let (name, v) = value(key) else { return nil }
        guard let d = v.double else { throw .wrongKeyType(key: name, expected: "a number") }
        return Float(d)
    }

    /// A string key.
    func string(_ key: String) throws(ModelFileError) -> String? {
        guard let (name, v) = value(key) else { return nil }
        guard let s = v.string else { throw .wrongKeyType(key: name, expected: "a string") }
        return s
    }

    /// Which of `layers` layers use sliding-window attention, by llama.cpp's rule: the array `attention.sliding_window_pattern`, or every layer but each `n`-th (`n` from that
    /// key as an integer, else `defaultPattern`; 0: all sliding).
    func slidingLayers(_ layers: Int, defaultPattern: Int) throws(ModelFileError) -> [Bool] {
        let key = "attention.sliding_window_pattern"
        guard let (name, v) = value(key) else { return Self.slidingLayers(layers, pattern: defaultPattern) }
        if let n = v.int {
            guard n >= 0 else { throw .invalidHyperparameter(name: name, value: "\(n)", reason: "must be 0 or more") }
            return Self.slidingLayers(layers, pattern: n)
        }
        guard let values = v.array else { throw .wrongKeyType(key: name, expected: "an integer or an array of booleans") }
        // Booleans, or integers as llama.cpp also takes them (nonzero: sliding).
        let bools = values.compactMap { $0.bool ?? $0.int.map { $0 != 0 } }
        guard bools.count == values.count, bools.count == layers else {
            throw .invalidHyperparameter(name: name, value: "\(values.count) values",
                                         reason: "must be \(layers) booleans, one per layer")
        }
        return bools
    }

    /// Every layer sliding but each `pattern`-th (the last of each run of `pattern`); 0: all.
    static func slidingLayers(_ layers: Int, pattern: Int) -> [Bool] {
        (0..<layers).map { pattern == 0 || $0 % pattern < pattern - 1 }
    }

    /// llama.cpp's RoPE position scaling from `rope.scaling.type` and `rope.scaling.factor`:
    /// linear (the default type) divides positions by the factor; other types are refused
    /// rather than run with the wrong angles.
    func ropeFrequencyScale() throws(ModelFileError) -> Float {
        let type = try string("rope.scaling.type") ?? "linear"
        var factor: Float = 0
        if let f = try float("rope.scaling.factor") { factor = f } else if let f = try float("rope.scale_linear") { factor = f }
        switch type {
        case "none": return 1
        case "linear":
            guard factor.isFinite, factor >= 0 else {
                throw .invalidHyperparameter(name: "\(architecture).rope.scaling.factor", value: "\(factor)", reason: "must be a positive number")
            }
            return factor == 0 ? 1 : 1 / factor
        default:
            if factor == 0 || factor == 1 { return 1 }
            throw .invalidHyperparameter(name: "\(architecture).rope.scaling.type", value: type,
                                         reason: "\(type) RoPE scaling (factor \(factor)) is not supported; linear and none are")
        }
    }
}
