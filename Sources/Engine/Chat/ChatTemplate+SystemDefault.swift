extension ChatTemplate {
    /// What a ChatML template writes when a conversation does not begin with a system
    /// message, read from its Jinja text without evaluating it (`systemDefault(inChatML:)`).
    public enum SystemDefault: Sendable, Equatable {
        /// The template writes no system message of its own.
        case absent
        /// The template writes `<|im_start|>system\n` + this + `<|im_end|>\n` first when the
        /// first message is not a system message (SmolLM2: "You are a helpful AI assistant
        /// named SmolLM, trained by Hugging Face"; Qwen2.5: "You are Qwen, created by ...").
        case text(String)
        /// The template seems to write a default system message, but not in a shape read
        /// here; the reason says what was seen. Rendered as `absent`.
        case unrecognised(String)

        /// The default system prompt, if one was read.
        public var text: String? {
            if case .text(let text) = self { return text }
            return nil
        }
    }

    /// The default system prompt of a ChatML Jinja template. Recognised: one `{{ ... }}`
    /// output whose expression is a constant (string literals, possibly joined by `+` or
    /// `~`) and whose value is a whole system turn, `<|im_start|>system\n` + text +
    /// `<|im_end|>\n`, in a template that tests the first message's role
    /// (`messages[0]['role']`, `messages[0]["role"]` or `messages[0].role`), as in
    ///
    ///     {% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are ...<|im_end|>\n' }}{% endif %}
    ///     {%- if messages[0]['role'] == 'system' %}...{%- else %}{{- '<|im_start|>system\nYou are ...<|im_end|>\n' }}{%- endif %}
    ///
    /// Anything else that looks like a default (several different constant system turns,
    /// one without a role test, or a literal that opens a system turn with text but is joined
    /// to something that is not a literal) is `.unrecognised`; a template whose system turns
    /// hold only the conversation's own system message is `.absent`.
    public static func systemDefault(inChatML template: String) -> SystemDefault {
        let scan = JinjaConstants(template)
        let header = "<|im_start|>system\n"
        let footer = "<|im_end|>\n"

        var defaults: [String] = []
        for output in scan.constantOutputs where output.hasPrefix(header) && output.hasSuffix(footer) {
            let body = String(output.dropFirst(header.count).dropLast(footer.count))
            guard !body.isEmpty, !body.contains("<|im_start|>"), !body.contains("<|im_end|>") else { continue }
            if !defaults.contains(body) { defaults.append(body) }
        }
        let testsFirstRole = ["messages[0]['role']", "messages[0][\"role\"]", "messages[0].role"]
            .contains { template.contains($0) }

        switch defaults.count {
        case 0:
            let opensWithText = scan.literals.contains { $0.hasPrefix(header) && $0.count > header.count }
            return opensWithText ? .unrecognised("a system turn with text is not a constant output (it is joined to other values or filtered)") : .absent
        case 1 where testsFirstRole:
            return .text(defaults[0])
        case 1:
            return .unrecognised("it writes a system turn without testing the first message's role")
        default:
            return .unrecognised("it writes \(defaults.count) different system turns")
        }
    }
}

/// The string literals of a Jinja template and the values of its constant `{{ ... }}`
/// outputs, found by scanning its tags; no expression is evaluated beyond joining literals.
private struct JinjaConstants {
    /// Every string literal inside a `{{ }}` or `{% %}` tag, escapes decoded.
    private(set) var literals: [String] = []
    /// The value of every `{{ }}` output made only of string literals joined by `+` or `~`.
    private(set) var constantOutputs: [String] = []

    init(_ template: String) {
        let text = Array(template.utf8)
        var i = 0
        while i + 1 < text.count {
            guard text[i] == UInt8(ascii: "{") else {
                i += 1
                continue
            }
            switch text[i + 1] {
            case UInt8(ascii: "{"): i = scanTag(text, from: i + 2, close: UInt8(ascii: "}"), isOutput: true)
            case UInt8(ascii: "%"): i = scanTag(text, from: i + 2, close: UInt8(ascii: "%"), isOutput: false)
            case UInt8(ascii: "#"): i = JinjaConstants.skipComment(text, from: i + 2)
            default: i += 1
            }
        }
    }

    /// Scans one tag's body from `start` to its closing `close` + `}` (outside string
    /// literals), recording literals and, for an output, its value if constant. Returns the
    /// index after the tag.
    private mutating func scanTag(_ text: [UInt8], from start: Int, close: UInt8, isOutput: Bool) -> Int {
        var i = start
        // Whitespace control: `{{-`, `{{+`, `{%-`.
        if i < text.count, text[i] == UInt8(ascii: "-") || text[i] == UInt8(ascii: "+") { i += 1 }
        var parts: [String] = []
        var constant = isOutput
        var expectLiteral = true
        while i < text.count {
            let c = text[i]
            if c == close, i + 1 < text.count, text[i + 1] == UInt8(ascii: "}") {
                if isOutput, constant, !parts.isEmpty { constantOutputs.append(parts.joined()) }
                return i + 2
            }
            if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
                let (value, end) = JinjaConstants.literal(text, from: i)
                literals.append(value)
                if expectLiteral { parts.append(value) } else { constant = false }
                expectLiteral = false
                i = end
                continue
            }
            switch c {
            case 0x20, 0x09, 0x0A, 0x0D:
                break
            case UInt8(ascii: "+"), UInt8(ascii: "~"):
                if expectLiteral { constant = false }
                expectLiteral = true
            case UInt8(ascii: "-") where i + 2 < text.count && text[i + 1] == close && text[i + 2] == UInt8(ascii: "}"):
                break  // `-}}`: whitespace control
            default:
                constant = false
            }
            i += 1
        }
        return i
    }

    /// A string literal starting at the quote at `start`: its value (Python escapes `\n`,
    /// `\t`, `\r`, `\\`, `\'`, `\"` decoded; other backslashes kept) and the index after it.
    private static func literal(_ text: [UInt8], from start: Int) -> (String, Int) {
        let quote = text[start]
        var bytes: [UInt8] = []
        var i = start + 1
        while i < text.count, text[i] != quote {
            if text[i] == UInt8(ascii: "\\"), i + 1 < text.count {
                switch text[i + 1] {
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): bytes.append(text[i + 1])
                default: bytes.append(contentsOf: [text[i], text[i + 1]])
                }
                i += 2
                continue
            }
            bytes.append(text[i])
            i += 1
        }
        return (String(decoding: bytes, as: UTF8.self), min(i + 1, text.count))
    }

    /// The index after the `#}` that ends a comment.
    private static func skipComment(_ text: [UInt8], from start: Int) -> Int {
        var i = start
        while i + 1 < text.count {
            if text[i] == UInt8(ascii: "#"), text[i + 1] == UInt8(ascii: "}") { return i + 2 }
            i += 1
        }
        return text.count
    }
}
