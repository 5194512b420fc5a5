/// How a chat becomes one prompt for a model: the model's own Jinja template
/// (`tokenizer.chat_template` in GGUF), run by strata's Jinja interpreter (`Jinja/`) as
/// llama.cpp's Jinja engine runs it; or, for a model without a template or with one the
/// interpreter cannot run, one of the families llama.cpp's built-in renderer
/// (`llm_chat_apply_template` in `llama-chat.cpp`) knows, recognised from the template's text
/// by the markers llama.cpp looks for (`ChatTemplate+Detection.swift`) and rendered exactly as
/// llama.cpp renders them (`ChatTemplate+Rendering.swift`).
///
/// The rendered text spells special tokens (`<|im_start|>`, `[INST]`, `</s>`): tokenize it
/// with `Tokenizer.encode(_:addBOS:parseSpecial:)` and `parseSpecial: true`, or use
/// `Tokenizer.encodeChat(_:template:)`, which does both steps.
public enum ChatTemplate: Sendable, Equatable, CustomStringConvertible {
    /// The model's own Jinja template, with its vocabulary's BOS and EOS texts: what
    /// `init(gguf:vocabulary:)` chooses whenever the template parses and renders a simple chat.
    case jinja(JinjaChatTemplate)

    /// ChatML (Qwen, OpenHermes, SmolLM...): `<|im_start|>role\ncontent<|im_end|>\n` per
    /// message, then `<|im_start|>assistant\n`. llama.cpp's `chatml`, plus what its Jinja
    /// templates do and llama.cpp's built-in renderer does not: with `defaultSystemPrompt`,
    /// a conversation that does not begin with a system message gets
    /// `<|im_start|>system\n` + it + `<|im_end|>\n` first (SmolLM2's "You are a helpful AI
    /// assistant named SmolLM, trained by Hugging Face"), read from the template by
    /// `systemDefault(inChatML:)`.
    case chatML(defaultSystemPrompt: String? = nil)

    /// Llama 2 chat: `[INST] <<SYS>>\nsystem\n<</SYS>>\n\nuser [/INST]assistant</s>[INST] ...`
    /// (llama.cpp's `llama2-sys`, and its variants).
    case llama2(Llama2Variant)

    /// `[INST]` without `<<SYS>>` (Mistral 7B Instruct v0.1/v0.2 and other Llama 2 style
    /// templates that have no system block): a system message goes, followed by `\n`, at the
    /// start of the first `[INST]`. llama.cpp's `llama2`.
    case mistral

    /// Mistral's own formats (llama.cpp's `mistral-v1`, `mistral-v3`, `mistral-v3-tekken`,
    /// `mistral-v7`): as `mistral`, with their own spacing around `[INST]`/`[/INST]`; v7 has
    /// `[SYSTEM_PROMPT]...[/SYSTEM_PROMPT]`.
    case mistralOfficial(MistralVersion)

    /// Llama 3: `<|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>` (contents
    /// trimmed), then `<|start_header_id|>assistant<|end_header_id|>\n\n`. llama.cpp's `llama3`.
    case llama3

    /// Zephyr: `<|role|>\ncontent` + `endOfTurn` + `\n` per message, then `<|assistant|>\n`.
    /// `endOfTurn` is `</s>` for HuggingFaceH4/zephyr (its template writes `eos_token`),
    /// `<|endoftext|>` for StableLM Zephyr (llama.cpp's `zephyr`), `<|end|>` for Phi-3
    /// (llama.cpp's `phi3`, the same shape).
    case zephyr(endOfTurn: String)

    /// The fallback for models without a recognised template: a plain transcript with no
    /// special tokens (llama.cpp's `rwkv-world` layout):
    ///
    ///     System: {system}\n\nUser: {user}\n\nAssistant: {assistant}\n\nUser: {user}\n\nAssistant:
    ///
    /// Contents are trimmed of surrounding whitespace; the final `Assistant:` is the
    /// generation prompt. `stopStrings` holds `"\nUser:"` so a model that goes on to invent
    /// the user's next turn is cut off there.
    case transcript

    /// Llama 2 formats with a `<<SYS>>` block.
    public enum Llama2Variant: Sendable, Equatable {
        /// llama.cpp's `llama2-sys`.
        case system
        /// llama.cpp's `llama2-sys-bos`: `<s>` before every `[INST]` after the first.
        case systemBOS
        /// llama.cpp's `llama2-sys-strip`: message contents trimmed of surrounding whitespace.
        case systemStrip
    }

    /// Mistral's numbered prompt formats.
    public enum MistralVersion: String, Sendable, Equatable {
        /// ` [INST] system\n\nuser [/INST] assistant</s>` (leading spaces).
        case v1
        /// `[INST] system\n\nuser[/INST] assistant</s>` (assistant contents trimmed).
        case v3
        /// `[INST]system\n\nuser[/INST]assistant</s>` (no spaces; Nemo's tekken tokenizer).
        case v3Tekken
        /// `[SYSTEM_PROMPT] system[/SYSTEM_PROMPT][INST] user[/INST] assistant</s>`.
        case v7
    }

    /// The GGUF metadata key holding a model's Jinja chat template.
    public static let metadataKey = "tokenizer.chat_template"

    /// The template for a model: its GGUF `tokenizer.chat_template` (`template`) as Jinja
    /// when strata's interpreter can run it (it parses, uses nothing unsupported, and renders
    /// a one-message chat); else the built-in family `builtIn(for:vocabulary:)` chooses. The
    /// vocabulary supplies `bos_token` and `eos_token`. An empty template or a built-in name
    /// (`chatml`, `llama3`, ...) is not Jinja.
    public init(gguf template: String?, vocabulary: Vocabulary) {
        if let template, let jinja = ChatTemplate.jinja(template, vocabulary: vocabulary) {
            self = .jinja(jinja)
        } else {
            self = ChatTemplate.builtIn(for: template, vocabulary: vocabulary)
        }
    }

    /// The built-in family for a model's template: the one recognised in it
    /// (`detect(_:eosText:)`), else the fallback for the vocabulary (`fallback(for:)`).
    /// The vocabulary also supplies the end-of-turn text of Zephyr templates that write
    /// `eos_token`.
    public static func builtIn(for template: String?, vocabulary: Vocabulary) -> ChatTemplate {
        if let template, let recognised = ChatTemplate.detect(template, eosText: tokenText(vocabulary.eos, in: vocabulary)) {
            return recognised
        }
        return ChatTemplate.fallback(for: vocabulary)
    }

    /// `template` as a Jinja chat template with the vocabulary's BOS and EOS texts; nil when
    /// it is empty, a built-in name, or something strata's interpreter cannot run
    /// (`JinjaChatTemplate.init` throws the reason).
    static func jinja(_ template: String, vocabulary: Vocabulary) -> JinjaChatTemplate? {
        guard ChatTemplate(name: template) == nil, template.unicodeScalars.contains(where: { !PythonText.isWhitespace($0) }) else { return nil }
        return try? JinjaChatTemplate(source: template, bosToken: tokenText(vocabulary.bos, in: vocabulary) ?? "",
                                      eosToken: tokenText(vocabulary.eos, in: vocabulary) ?? "")
    }

    /// The text of token `id`, if it is one of the vocabulary's.
    private static func tokenText(_ id: TokenID?, in vocabulary: Vocabulary) -> String? {
        guard let id, vocabulary.tokens.indices.contains(Int(id)) else { return nil }
        return vocabulary.tokens[Int(id)]
    }

    /// The template of the model in `file` (its `tokenizer.chat_template`, if any), as
    /// `init(gguf:vocabulary:)`.
    public init(gguf file: GGUFFile, vocabulary: Vocabulary) {
        self.init(gguf: file.metadata[ChatTemplate.metadataKey]?.string, vocabulary: vocabulary)
    }

    /// The template used when a model has none, or one that is not recognised.
    public static func fallback(for vocabulary: Vocabulary) -> ChatTemplate {
        vocabulary.tokens.contains("<|im_start|>") ? .chatML() : .transcript
    }

    /// Whether rendered text already starts with the BOS token's text, so BOS must not be
    /// added again when it is tokenized: for a Jinja template, whether it writes `bos_token`
    /// first (Llama 3's, Gemma's and Mistral's do); false for every built-in family, which,
    /// like llama.cpp's, leave BOS to the tokenizer (`Vocabulary.addBOS`).
    /// (`llama2(bosInHistory: true)` writes `<s>` only before later turns, never at the start.)
    public var addsBOS: Bool {
        switch self {
        case .jinja(let template):
            return template.writesBOS
        case .chatML, .llama2, .mistral, .mistralOfficial, .llama3, .zephyr, .transcript:
            return false
        }
    }

    /// Whether `text`, a render of this template, begins with the BOS token's text (checked per
    /// render: a template may write BOS only sometimes).
    func beginsWithBOS(_ text: String) -> Bool {
        guard case .jinja(let template) = self, !template.bosToken.isEmpty else { return false }
        return text.utf8.starts(with: template.bosToken.utf8)
    }

    /// Strings that end the assistant's turn in the rendered format but are not tokens, for
    /// the caller to stop generation at (the special end-of-turn tokens of the other families,
    /// and of the formats Jinja templates write, already end generation).
    public var stopStrings: [String] {
        switch self {
        case .transcript: return ["\nUser:"]
        case .jinja, .chatML, .llama2, .mistral, .mistralOfficial, .llama3, .zephyr: return []
        }
    }

    /// llama.cpp's name for the format (`chatml`, `llama2-sys`, `mistral-v3`, ...);
    /// `transcript` for the fallback, `jinja` for the model's own template. ChatML with a
    /// default system prompt is `chatml` too.
    public var description: String {
        switch self {
        case .jinja: return "jinja"
        case .chatML: return "chatml"
        case .llama2(.system): return "llama2-sys"
        case .llama2(.systemBOS): return "llama2-sys-bos"
        case .llama2(.systemStrip): return "llama2-sys-strip"
        case .mistral: return "llama2"
        case .mistralOfficial(let version):
            switch version {
            case .v1: return "mistral-v1"
            case .v3: return "mistral-v3"
            case .v3Tekken: return "mistral-v3-tekken"
            case .v7: return "mistral-v7"
            }
        case .llama3: return "llama3"
        case .zephyr("<|end|>"): return "phi3"
        case .zephyr("<|endoftext|>"): return "zephyr"
        case .zephyr(let end): return "zephyr(\(end))"
        case .transcript: return "transcript"
        }
    }

    /// A template by its `description` (`chatml`, `llama2-sys`, `llama3`, `zephyr`,
    /// `transcript`, ...), as llama.cpp accepts built-in template names; nil for other names.
    public init?(name: String) {
        let all: [ChatTemplate] = [
            .chatML(), .llama2(.system), .llama2(.systemBOS), .llama2(.systemStrip), .mistral,
            .mistralOfficial(.v1), .mistralOfficial(.v3), .mistralOfficial(.v3Tekken), .mistralOfficial(.v7),
            .llama3, .zephyr(endOfTurn: "<|endoftext|>"), .zephyr(endOfTurn: "<|end|>"), .transcript,
        ]
        guard let match = all.first(where: { $0.description == name }) else { return nil }
        self = match
    }
}
