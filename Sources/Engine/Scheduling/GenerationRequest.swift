/// One completion to generate: a tokenized prompt, a token limit and sampling settings.
public struct GenerationRequest: Sendable {
    public var prompt: [TokenID]
    public var maxTokens: Int
    public var sampling: SamplingParameters
    /// Tokens that end the request (`.stopToken`) beside the model's end-of-generation ones.
    public var stopTokens: [TokenID]
    /// A grammar the generated text must follow (each step masks the tokens it refuses).
    public var grammar: ConstrainedGrammar?

    public init(prompt: [TokenID], maxTokens: Int, sampling: SamplingParameters = .greedy, stopTokens: [TokenID] = [],
                grammar: ConstrainedGrammar? = nil) {
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stopTokens = stopTokens
        self.grammar = grammar
    }
}
