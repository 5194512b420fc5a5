import Engine

/// The sampling, stopping and streaming fields `/v1/completions` and `/v1/chat/completions` share,
/// decoded from the same JSON object as the rest of the request.
struct SamplingFields: Decodable {
    var temperature: Double?
    var topP: Double?
    /// Extension: keep the k most likely tokens (0 = off).
    var topK: Int?
    /// Extension: drop tokens less likely than min_p times the most likely one.
    var minP: Double?
    var seed: Int64?
    var stop: [String]
    /// Extension (vLLM's name): token ids that end the completion, left out of its text.
    var stopTokenIDs: [TokenID]
    var presencePenalty: Double?
    var frequencyPenalty: Double?
    /// Extension (llama.cpp's name): divides logits of recently seen tokens.
    var repeatPenalty: Double?
    var n: Int?
    /// Token id (as a decimal string, OpenAI's shape) to a bias of -100...100.
    var logitBias: [String: Double]
    var stream: Bool
    var includeUsage: Bool?
    /// Whether the request has fields read from its ordered JSON (`response_format`, `tools`, ...).
    var hasOrderedFields: Bool

    enum CodingKeys: String, CodingKey {
        case temperature, seed, stop, n, stream
        case topP = "top_p"
        case topK = "top_k"
        case minP = "min_p"
        case presencePenalty = "presence_penalty"
        case frequencyPenalty = "frequency_penalty"
        case repeatPenalty = "repeat_penalty"
        case streamOptions = "stream_options"
        case logitBias = "logit_bias"
        case stopTokenIDs = "stop_token_ids"
    }

    private struct StreamOptions: Decodable {
        var includeUsage: Bool?
        enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
    }

    init(from decoder: any Decoder) throws {
        try UnsupportedFields.check(decoder)
        hasOrderedFields = try UnsupportedFields.hasAny(ResponseFormat.fields + ToolFields.fields, decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        temperature = try container.decodeIfPresent(Double.self, forKey: .temperature)
        topP = try container.decodeIfPresent(Double.self, forKey: .topP)
        topK = try container.decodeIntegerIfPresent(Int.self, forKey: .topK)
        minP = try container.decodeIfPresent(Double.self, forKey: .minP)
        seed = try container.decodeIntegerIfPresent(Int64.self, forKey: .seed)
        presencePenalty = try container.decodeIfPresent(Double.self, forKey: .presencePenalty)
        frequencyPenalty = try container.decodeIfPresent(Double.self, forKey: .frequencyPenalty)
        repeatPenalty = try container.decodeIfPresent(Double.self, forKey: .repeatPenalty)
        n = try container.decodeIntegerIfPresent(Int.self, forKey: .n)
        stream = try container.decodeIfPresent(Bool.self, forKey: .stream) ?? false
        includeUsage = try container.decodeIfPresent(StreamOptions.self, forKey: .streamOptions).map { $0.includeUsage ?? false }
        stop = try Self.decodeStop(container)
        logitBias = try container.decodeIfPresent([String: Double].self, forKey: .logitBias) ?? [:]
        stopTokenIDs = try container.decodeIfPresent([TokenID].self, forKey: .stopTokenIDs) ?? []
    }

    /// `stop`: a string, an array of strings, or null.
    private static func decodeStop(_ container: KeyedDecodingContainer<CodingKeys>) throws -> [String] {
        guard container.contains(.stop), try !container.decodeNil(forKey: .stop) else { return [] }
        if let one = try? container.decode(String.self, forKey: .stop) { return [one] }
        if let many = try? container.decode([String].self, forKey: .stop) { return many }
        throw OpenAIError.invalidType(OpenAIError.path(container.codingPath + [CodingKeys.stop]), expected: "a string or an array of strings")
    }

    /// Checks every range and builds the engine's parameters.
    /// - Parameters:
    ///   - maxTokens: tokens to generate, already checked by the route.
    ///   - vocabularySize: the model's, for the token ids of `logit_bias`.
    func completionParameters(maxTokens: Int, vocabularySize: Int) throws(OpenAIError) -> CompletionParameters {
        // The upper bound is the backend's (the sequences it runs at once).
        if let n, n < 1 { throw .invalidValue("n", "n = \(n) is out of range: at least 1 choice.") }
        if includeUsage != nil, !stream {
            throw .invalidValue("stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled.")
        }
        guard stop.count <= 4 else { throw .invalidValue("stop", "'stop' holds \(stop.count) sequences; at most 4 are allowed.") }
        guard !stop.contains("") else { throw .invalidValue("stop", "'stop' sequences must not be empty.") }
        try OpenAIError.checkVocabulary(stopTokenIDs, "stop_token_ids", vocabularySize: vocabularySize)

        var sampling = SamplingParameters()
        sampling.temperature = try Self.float(temperature ?? 1, "temperature", in: 0...2)
        sampling.topP = try Self.float(topP ?? 1, "top_p", in: 0...1)
        sampling.minP = try Self.float(minP ?? 0, "min_p", in: 0...1)
        sampling.presencePenalty = try Self.float(presencePenalty ?? 0, "presence_penalty", in: -2...2)
        sampling.frequencyPenalty = try Self.float(frequencyPenalty ?? 0, "frequency_penalty", in: -2...2)
        sampling.repetitionPenalty = try Self.float(repeatPenalty ?? 1, "repeat_penalty", in: 0...Double(Float.greatestFiniteMagnitude))
        sampling.topK = topK ?? 0
        sampling.seed = seed.map { UInt64(bitPattern: $0) }
        sampling.logitBias = try Self.tokenBiases(logitBias)
        do {
            try sampling.validate(vocabularySize: vocabularySize)
        } catch {
            throw OpenAIError(error)
        }
        return CompletionParameters(maxTokens: maxTokens, sampling: sampling, stop: stop, stopTokens: stopTokenIDs, choices: n ?? 1)
    }

    /// `logit_bias` keys are token ids written as strings; the vocabulary's range is the backend's check.
    private static func tokenBiases(_ bias: [String: Double]) throws(OpenAIError) -> [TokenID: Float] {
        var out: [TokenID: Float] = [:]
        out.reserveCapacity(bias.count)
        for (key, value) in bias {
            guard let token = TokenID(key), token >= 0 else {
                throw .invalidValue("logit_bias", "'logit_bias' keys must be token ids (non-negative integers); '\(key.prefix(40))' is not one.")
            }
            guard value.isFinite, (-100...100).contains(value) else {
                throw .invalidValue("logit_bias", "The bias \(value) for token \(token) is out of range (allowed: -100 to 100).")
            }
            out[token] = Float(value)
        }
        return out
    }

    private static func float(_ value: Double, _ name: String, in range: ClosedRange<Double>) throws(OpenAIError) -> Float {
        guard value.isFinite, range.contains(value) else {
            throw .invalidValue(name, "\(name) = \(value) is out of range (allowed: \(range.lowerBound) to \(range.upperBound)).")
        }
        return Float(value)
    }
}
