/// The completion length a request asks for, checked against the model's context.
enum CompletionLength {
    /// - Parameters:
    ///   - requested: `max_tokens` from the request, if given.
    ///   - defaultTokens: used when not requested, shortened to what the context leaves.
    static func resolve(requested: Int?, defaultTokens: Int, promptTokens: Int, contextLength: Int, param: String) throws(OpenAIError) -> Int {
        let room = contextLength - promptTokens
        if let requested {
            guard requested >= 1 else { throw .invalidValue(param, "\(param) = \(requested) is out of range (allowed: >= 1).") }
            guard requested <= room else {
                throw .contextLengthExceeded(promptTokens: promptTokens, maxTokens: requested, contextLength: contextLength)
            }
            return requested
        }
        guard room >= 1 else {
            throw .contextLengthExceeded(promptTokens: promptTokens, maxTokens: 1, contextLength: contextLength)
        }
        return min(defaultTokens, room)
    }
}
