extension Tokenizer {
    /// A chat's prompt tokens: `template.render(messages, addGenerationPrompt:options:)`, then
    /// `encode(_:addBOS:parseSpecial:)` with special tokens parsed (so `<|im_start|>` in the
    /// rendered text is that token) and BOS added when the vocabulary wants one and the
    /// rendered text does not already begin with it (a Jinja template that writes `bos_token`;
    /// llama.cpp likewise keeps a single BOS).
    ///
    /// As in llama.cpp's server, special-token texts inside message contents are parsed too:
    /// a user who writes `<|im_end|>` produces that token.
    public func encodeChat(_ messages: [ChatMessage], template: ChatTemplate, addGenerationPrompt: Bool = true,
                           options: ChatRenderOptions = ChatRenderOptions()) throws(ChatTemplateError) -> [TokenID] {
        let text = try template.render(messages, addGenerationPrompt: addGenerationPrompt, options: options)
        return encode(text, addBOS: vocabulary.addBOS && !template.beginsWithBOS(text), parseSpecial: true)
    }
}
