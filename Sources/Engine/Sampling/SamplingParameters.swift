/// How the next token is chosen from the logits. Defaults follow llama.cpp's.
public struct SamplingParameters: Equatable, Sendable {
    /// 0 (or less) picks the most likely token (greedy).
    public var temperature: Float = 0.8
    /// Keep the k most likely tokens; 0 disables.
    public var topK: Int = 40
    /// Keep the smallest set whose probability reaches p; 1 disables.
    public var topP: Float = 0.95
    /// Drop tokens less likely than minP times the most likely one; 0 disables.
    public var minP: Float = 0.05
    /// Divides positive (multiplies negative) logits of recently seen tokens; 1 disables.
    public var repetitionPenalty: Float = 1.0
    /// Subtracted once per occurrence of a recent token.
    public var frequencyPenalty: Float = 0
    /// Subtracted once if a token occurred recently.
    public var presencePenalty: Float = 0
    /// How many recent tokens the penalties look at.
    public var penaltyWindow: Int = 64
    /// Seed of the random generator; nil draws one from the system.
    public var seed: UInt64?
    /// Added to a token's logit after the penalties (OpenAI's `logit_bias`, -100...100);
    /// -100 bans the token.
    public var logitBias: [TokenID: Float] = [:]
    /// With a value k (0...`maxTopLogprobs`), each draw also yields the chosen token's
    /// log-probability and the k most likely tokens' (`Sampler.lastLogprobs`); nil computes none.
    public var logprobs: Int?

    /// The most alternatives `logprobs` may ask for (OpenAI's limit for `top_logprobs`).
    public static let maxTopLogprobs = 20

    public init() {}

    /// Greedy decoding.
    public static var greedy: SamplingParameters {
        var p = SamplingParameters()
        p.temperature = 0
        return p
    }

    /// The bias that bans a token.
    public static let banningBias: Float = -100

    /// Checks every parameter's range, and with `vocabularySize` that every biased token is in
    /// the vocabulary.
    public func validate(vocabularySize: Int? = nil) throws(SamplingError) {
        guard temperature.isFinite, temperature >= 0 else { throw .outOfRange(name: "temperature", value: "\(temperature)", allowed: ">= 0") }
        guard topK >= 0 else { throw .outOfRange(name: "top_k", value: "\(topK)", allowed: ">= 0") }
        guard topP.isFinite, topP > 0, topP <= 1 else { throw .outOfRange(name: "top_p", value: "\(topP)", allowed: "(0, 1]") }
        guard minP.isFinite, minP >= 0, minP <= 1 else { throw .outOfRange(name: "min_p", value: "\(minP)", allowed: "[0, 1]") }
        guard repetitionPenalty.isFinite, repetitionPenalty > 0 else {
            throw .outOfRange(name: "repeat_penalty", value: "\(repetitionPenalty)", allowed: "> 0")
        }
        guard frequencyPenalty.isFinite, abs(frequencyPenalty) <= 2 else {
            throw .outOfRange(name: "frequency_penalty", value: "\(frequencyPenalty)", allowed: "[-2, 2]")
        }
        guard presencePenalty.isFinite, abs(presencePenalty) <= 2 else {
            throw .outOfRange(name: "presence_penalty", value: "\(presencePenalty)", allowed: "[-2, 2]")
        }
        guard penaltyWindow >= 0 else { throw .outOfRange(name: "repeat_last_n", value: "\(penaltyWindow)", allowed: ">= 0") }
        if let logprobs, !(0...Self.maxTopLogprobs).contains(logprobs) {
            throw .outOfRange(name: "top_logprobs", value: "\(logprobs)", allowed: "0 to \(Self.maxTopLogprobs)")
        }
        for (token, bias) in logitBias {
            guard bias.isFinite, abs(bias) <= 100 else {
                throw .outOfRange(name: "logit_bias", value: "\(bias) for token \(token)", allowed: "-100 to 100")
            }
            if token < 0 || vocabularySize.map({ Int(token) >= $0 }) == true {
                let allowed = vocabularySize.map { "token ids 0 to \($0 - 1)" } ?? "token ids >= 0"
                throw .outOfRange(name: "logit_bias", value: "token \(token)", allowed: allowed)
            }
        }
    }
}

/// An impossible sampling parameter.
public enum SamplingError: Error, Equatable, Sendable, CustomStringConvertible {
    case outOfRange(name: String, value: String, allowed: String)

    public var description: String {
        switch self {
        case .outOfRange(let name, let value, let allowed): return "\(name) = \(value) is out of range (allowed: \(allowed))"
        }
    }
}
