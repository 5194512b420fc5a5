/// One completion to generate: a tokenized prompt, a token limit and sampling settings.
public struct GenerationRequest: Sendable {
    public var prompt: [TokenID]
    public var maxTokens: Int
    public var sampling: SamplingParameters

    public init(prompt: [TokenID], maxTokens: Int, sampling: SamplingParameters = .greedy) {
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.sampling = sampling
    }
}
