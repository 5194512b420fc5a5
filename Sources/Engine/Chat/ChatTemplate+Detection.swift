extension ChatTemplate {
    /// The family of a Jinja chat template, by the markers llama.cpp's
    /// `llm_chat_detect_template` looks for, in its order of precedence; nil when none
    /// matches. A built-in name (`"chatml"`, `"llama3"`, ...) is accepted as well.
    ///
    /// | template contains                                         | family                      |
    /// |-----------------------------------------------------------|-----------------------------|
    /// | `<\|im_start\|>` (without `<\|im_sep\|>`, `<end_of_utterance>`) | `chatML`, with the default system prompt `systemDefault(inChatML:)` reads |
    /// | `[INST]` (or starts with `mistral`) and `[SYSTEM_PROMPT]`  | `mistralOfficial(.v7)`      |
    /// | ... and `' [INST] ' + system_message` or `[AVAILABLE_TOOLS]` | `mistralOfficial(.v1)` if ` [INST]`, `.v3Tekken` if `"[INST]"`, else `.v3` |
    /// | ... else `content.strip()` / `bos_token + '[INST]` / `<<SYS>>` | `llama2(.systemStrip / .systemBOS / .system)` |
    /// | ... else                                                   | `mistral`                   |
    /// | `<\|assistant\|>` and `<\|end\|>`                          | `zephyr(endOfTurn: "<\|end\|>")` (Phi-3) |
    /// | `<\|user\|>` and `<\|assistant\|>` or `<\|endoftext\|>`    | `zephyr`, ending turns with `<\|endoftext\|>`, `</s>` or, for `eos_token`, `eosText` |
    /// | `<\|start_header_id\|>` and `<\|end_header_id\|>`          | `llama3`                    |
    ///
    /// Where this departs from llama.cpp: a `<|user|>`/`<|assistant|>` template that spells
    /// `</s>` or writes `eos_token` (HuggingFaceH4/zephyr) is Zephyr here; llama.cpp calls the
    /// first Falcon 3 and the second GLM-Edge, formats without an end-of-turn marker that
    /// this type does not render. Templates of other families (Phi-4, Gemma, Command-R,
    /// ChatGLM, DeepSeek, ...) are not recognised.
    static func detect(_ template: String, eosText: String?) -> ChatTemplate? {
        if let named = ChatTemplate(name: template) { return named }
        let text = Array(template.utf8)
        func has(_ marker: String) -> Bool { contains(text, Array(marker.utf8)) }

        if has("<|im_start|>") {
            if has("<|im_sep|>") || has("<end_of_utterance>") { return nil }
            return .chatML(defaultSystemPrompt: systemDefault(inChatML: template).text)
        }
        if template.utf8.starts(with: "mistral".utf8) || has("[INST]") {
            if has("[SYSTEM_PROMPT]") { return .mistralOfficial(.v7) }
            if has("' [INST] ' + system_message") || has("[AVAILABLE_TOOLS]") {
                if has(" [INST]") { return .mistralOfficial(.v1) }
                if has("\"[INST]\"") { return .mistralOfficial(.v3Tekken) }
                return .mistralOfficial(.v3)
            }
            if has("content.strip()") { return .llama2(.systemStrip) }
            if has("bos_token + '[INST]") { return .llama2(.systemBOS) }
            if has("<<SYS>>") { return .llama2(.system) }
            return .mistral
        }
        if has("<|assistant|>"), has("<|end|>") { return .zephyr(endOfTurn: "<|end|>") }
        if has("[gMASK]<sop>") { return nil }
        if has("<|user|>"), has("<|assistant|>") || has("<|endoftext|>") {
            if has("<|endoftext|>") { return .zephyr(endOfTurn: "<|endoftext|>") }
            if has("</s>") { return .zephyr(endOfTurn: "</s>") }
            if has("eos_token"), let eosText { return .zephyr(endOfTurn: eosText) }
            return nil
        }
        if has("<|start_header_id|>"), has("<|end_header_id|>") { return .llama3 }
        return nil
    }

    /// Whether `needle` occurs in `haystack`, byte for byte.
    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, needle.count <= haystack.count else { return needle.isEmpty }
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first, haystack[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}
