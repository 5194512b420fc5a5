extension Tokenizer {
    /// A chat's prompt tokens: `template.render(messages, addGenerationPrompt:)`, then
    /// `encode(_:addBOS:parseSpecial:)` with special tokens parsed (so `<|im_start|>` in the
    /// rendered text is that token) and BOS added when the vocabulary wants one and the
    /// template has not written it (`ChatTemplate.addsBOS`).
    ///
    /// As in llama.cpp's server, special-token texts inside message contents are parsed too:
    /// a user who writes `<|im_end|>` produces that token.
    public func encodeChat(_ messages: [ChatMessage], template: ChatTemplate, addGenerationPrompt: Bool = true) throws(ChatTemplateError) -> [TokenID] {
        let text = try template.render(messages, addGenerationPrompt: addGenerationPrompt)
        return encode(text, addBOS: vocabulary.addBOS && !template.addsBOS, parseSpecial: true)
    }
}
