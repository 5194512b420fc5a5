extension ChatMessage {
    /// The message as a Jinja template sees it: `{"role": ..., "content": ...}`.
    public var jinjaValue: JinjaValue {
        ["role": .string(role), "content": .string(content)]
    }
}
