// TEMPORARY: signatures of the chat-template API being written on the `chat` branch; removed at merge.
public struct ChatTemplate: Sendable {
    public init(gguf template: String?, vocabulary: Vocabulary) {}
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) throws(ChatTemplateError) -> String { fatalError() }
    public var addsBOS: Bool { false }
}
extension Tokenizer {
    public func encodeChat(_ messages: [ChatMessage], template: ChatTemplate) throws(ChatTemplateError) -> [TokenID] { fatalError() }
}
