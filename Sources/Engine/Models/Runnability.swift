import StrataRuntime

/// Whether Strata can run a GGUF file, and if not every reason why: its architecture, its
/// tensor types, its tokenizer, and (when those pass) its hyperparameters and tensor layout.
/// Found from the header alone: weight views are resolved in the mapping, never read.
public struct Runnability: Sendable {
    /// One reason a file cannot run.
    public enum Problem: Sendable, Equatable, CustomStringConvertible {
        /// `general.architecture` is missing or not registered.
        case architecture(String)
        /// Tensors in types the kernels do not read: each type with its tensors' names.
        case tensorTypes([TypeUse])
        /// The tokenizer metadata cannot be used.
        case tokenizer(String)
        /// The architecture's hyperparameters or tensor layout are wrong.
        case layout(String)

        public var description: String {
            switch self {
            case .architecture(let why): return "architecture: \(why.escapedForTerminal)"
            case .tensorTypes(let uses):
                return "tensor types: " + uses.map { "\($0.type) (\($0.tensors.count) tensors, e.g. \($0.tensors[0].escapedForTerminal))" }
                    .joined(separator: "; ") + " not supported; Strata reads \(DType.weightTypeNames)"
            case .tokenizer(let why): return "tokenizer: \(why.escapedForTerminal)"
            case .layout(let why): return "model: \(why.escapedForTerminal)"
            }
        }
    }

    /// Tensors of one unsupported type.
    public struct TypeUse: Sendable, Equatable {
        public let type: String
        public let tensors: [String]
    }

    /// `general.architecture`, if the file has one.
    public let architecture: String?
    /// Why it cannot run; empty when it can.
    public let problems: [Problem]
    /// What it runs as when it can: the model's shape and the tokenizer's and chat template's kinds.
    public let details: [String]

    /// Whether Strata can run the file.
    public var canRun: Bool { problems.isEmpty }

    /// Checks `gguf` against the registry, the kernels' types and the tokenizer.
    public init(gguf: GGUFFile) {
        var problems: [Problem] = [], details: [String] = []
        architecture = gguf.architecture
        if let arch = gguf.architecture {
            if ModelRegistry.architecture(named: arch) == nil {
                problems.append(.architecture(ModelFileError.unsupportedArchitecture(arch).description))
            }
        } else {
            problems.append(.architecture(ModelFileError.missingKey("general.architecture").description))
        }
        var unsupported: [String: [String]] = [:], order: [String] = []
        for t in gguf.tensors where !(t.type.dtype?.isWeightType ?? false) {
            if unsupported[t.type.name] == nil { order.append(t.type.name) }
            unsupported[t.type.name, default: []].append(t.name)
        }
        if !order.isEmpty { problems.append(.tensorTypes(order.map { TypeUse(type: $0, tensors: unsupported[$0]!) })) }
        var vocabulary: Vocabulary?
        do {
            let v = try Vocabulary(gguf: gguf)
            _ = try Tokenizer(vocabulary: v)
            vocabulary = v
        } catch {
            problems.append(.tokenizer(error.description))
        }
        // The layout is checked only when the architecture and types are known, so that one
        // cause is not reported twice.
        if problems.isEmpty {
            do {
                let model = try ModelRegistry.decoder(gguf)
                let s = model.shape
                var line = "\(model.architecture.escapedForTerminal): \(s.layers) layers, width \(s.dim), \(s.heads) heads (\(s.kvHeads) kv) of \(s.headDim), "
                line += "vocabulary \(s.vocabularySize), trained context \(s.contextLength), weights \(model.weightType)"
                let sliding = s.windows.filter { $0 > 0 }
                if let w = sliding.first { line += ", \(sliding.count) of \(s.layers) layers sliding over \(w) positions" }
                details.append(line)
                if let vocabulary {
                    try ModelLoader.checkVocabulary(Tokenizer(vocabulary: vocabulary), model)
                }
            } catch {
                problems.append(.layout(error.description))
            }
        }
        if let vocabulary {
            let kind = vocabulary.kind == .gpt2 ? "byte-level BPE, pre-tokenizer \(vocabulary.preTokenizer)" : "SentencePiece"
            details.append("tokenizer: \(kind), \(vocabulary.tokens.count) tokens")
            let template = ChatTemplate(gguf: gguf, vocabulary: vocabulary)
            let source = gguf.metadata[ChatTemplate.metadataKey]?.string
            switch (template, source) {
            case (.jinja, _): details.append("chat template: the file's own, run as Jinja")
            case (_, nil): details.append("chat template: none in the file; built-in \(template) is used")
            case (_, .some): details.append("chat template: the file's cannot run as Jinja; built-in \(template) is used")
            }
        }
        self.problems = problems
        self.details = details
    }

    /// The verdict and its reasons, a line each.
    public var report: String {
        if canRun { return "runnable: yes\n" + details.map { "  \($0)\n" }.joined() }
        return "runnable: no\n" + problems.map { "  \($0)\n" }.joined()
    }
}
