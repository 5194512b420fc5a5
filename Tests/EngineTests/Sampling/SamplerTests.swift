import Engine
import Foundation
import Testing

/// The sampler's filters and draw, on hand-made logits with known distributions.
@Suite struct SamplerTests {
    static func sample(_ logits: [Float], _ parameters: SamplingParameters, recent: [TokenID] = []) throws -> TokenID {
        let sampler = try Sampler(parameters: parameters, vocabularySize: logits.count)
        return logits.withUnsafeBufferPointer { sampler.sample($0, recent: recent) }
    }

    /// Draws `n` tokens with one sampler and counts each id.
    static func histogram(_ logits: [Float], _ parameters: SamplingParameters, n: Int) throws -> [Int] {
        let sampler = try Sampler(parameters: parameters, vocabularySize: logits.count)
        var counts = [Int](repeating: 0, count: logits.count)
        logits.withUnsafeBufferPointer { l in
            for _ in 0..<n { counts[Int(sampler.sample(l))] += 1 }
        }
        return counts
    }

    static func params(temp: Float = 1, topK: Int = 0, topP: Float = 1, minP: Float = 0, seed: UInt64 = 1) -> SamplingParameters {
        var p = SamplingParameters()
        p.temperature = temp
        p.topK = topK
        p.topP = topP
        p.minP = minP
        p.seed = seed
        return p
    }

    @Test("temperature 0 is argmax, the first index on ties")
    func greedy() throws {
        #expect(try Self.sample([0.1, 3, -2, 2.9], .greedy) == 1)
        #expect(try Self.sample([5, 1, 5], .greedy) == 0)
        #expect(try Self.sample([-.infinity, -1, -3], .greedy) == 1)
    }

    @Test("top-k 1 always picks the most likely token, whatever the temperature")
    func topKOne() throws {
        let counts = try Self.histogram([1, 4, 2, 3.9], Self.params(temp: 5, topK: 1), n: 200)
        #expect(counts == [0, 200, 0, 0])
    }

    @Test("top-k keeps exactly the k most likely tokens")
    func topK() throws {
        let counts = try Self.histogram([0, 5, 1, 4, 2, 3], Self.params(temp: 10, topK: 3), n: 3000)
        #expect(counts[0] == 0 && counts[2] == 0 && counts[4] == 0)
        #expect(counts[1] > 0 && counts[3] > 0 && counts[5] > 0)
    }

    @Test("top-p keeps the smallest set reaching p")
    func topP() throws {
        // probabilities 0.5, 0.3, 0.15, 0.05: p = 0.75 needs the first two, p = 0.85 three.
        let logits = [0.5, 0.3, 0.15, 0.05].map { Float(log($0)) }
        let two = try Self.histogram(logits, Self.params(topP: 0.75), n: 2000)
        #expect(two[2] == 0 && two[3] == 0 && two[0] > 0 && two[1] > 0)
        let three = try Self.histogram(logits, Self.params(topP: 0.85), n: 2000)
        #expect(three[3] == 0 && three[2] > 0)
    }

    @Test("min-p drops tokens less likely than min-p times the best")
    func minP() throws {
        let logits = [0.6, 0.25, 0.1, 0.05].map { Float(log($0)) }
        // 0.2 * 0.6 = 0.12: only the first two survive.
        let counts = try Self.histogram(logits, Self.params(minP: 0.2), n: 2000)
        #expect(counts[2] == 0 && counts[3] == 0 && counts[1] > 0)
    }

    @Test("draws follow the softmax distribution at temperature 1")
    func distribution() throws {
        let probabilities: [Double] = [0.5, 0.25, 0.125, 0.125]
        let logits = probabilities.map { Float(log($0)) }
        let n = 20000
        let counts = try Self.histogram(logits, Self.params(seed: 9), n: n)
        for (p, c) in zip(probabilities, counts) {
            // Five standard deviations of a binomial count.
            let sd = (Double(n) * p * (1 - p)).squareRoot()
            #expect(abs(Double(c) - Double(n) * p) < 5 * sd, "count \(c) for p \(p)")
        }
    }

    @Test("higher temperature flattens the distribution")
    func temperature() throws {
        let logits: [Float] = [2, 1, 0]
        let cold = try Self.histogram(logits, Self.params(temp: 0.3), n: 3000)
        let hot = try Self.histogram(logits, Self.params(temp: 3), n: 3000)
        #expect(cold[0] > hot[0])
        #expect(cold[2] < hot[2])
    }

    @Test("the same seed gives the same draws; another seed differs")
    func seeds() throws {
        let logits = (0..<64).map { Float($0 % 7) * 0.3 }
        let a = try Self.histogram(logits, Self.params(seed: 42), n: 500)
        let b = try Self.histogram(logits, Self.params(seed: 42), n: 500)
        let c = try Self.histogram(logits, Self.params(seed: 43), n: 500)
        #expect(a == b)
        #expect(a != c)
    }

    @Test("repetition penalty pushes recently seen tokens down")
    func repetitionPenalty() throws {
        var p = SamplingParameters.greedy
        p.repetitionPenalty = 2
        // Token 0 (logit 3) seen recently becomes 1.5 < 2; token 2 (negative) becomes more negative.
        #expect(try Self.sample([3, 2, -1], p, recent: [0]) == 1)
        #expect(try Self.sample([3, 2, -1], p, recent: [2]) == 0)
        p.penaltyWindow = 1
        #expect(try Self.sample([3, 2, -1], p, recent: [0, 2]) == 0)  // token 0 is outside the window
    }

    @Test("frequency and presence penalties subtract per occurrence and once")
    func frequencyPresence() throws {
        var p = SamplingParameters.greedy
        p.frequencyPenalty = 0.4
        // Token 0: 3 - 3 * 0.4 = 1.8 < 2.
        #expect(try Self.sample([3, 2], p, recent: [0, 0, 0]) == 1)
        #expect(try Self.sample([3, 2], p, recent: [0, 0]) == 0)
        p.frequencyPenalty = 0
        p.presencePenalty = 1.5
        #expect(try Self.sample([3, 2], p, recent: [0, 0, 0]) == 1)
    }

    static let invalidCases: [(name: String, parameters: SamplingParameters)] = {
        func with(_ change: (inout SamplingParameters) -> Void) -> SamplingParameters {
            var p = SamplingParameters()
            change(&p)
            return p
        }
        return [
            ("temperature", with { $0.temperature = -1 }),
            ("temperature", with { $0.temperature = .nan }),
            ("top_k", with { $0.topK = -3 }),
            ("top_p", with { $0.topP = 0 }),
            ("top_p", with { $0.topP = 1.5 }),
            ("min_p", with { $0.minP = -0.1 }),
            ("repeat_penalty", with { $0.repetitionPenalty = 0 }),
            ("frequency_penalty", with { $0.frequencyPenalty = 3 }),
            ("repeat_last_n", with { $0.penaltyWindow = -1 }),
        ]
    }()

    @Test("impossible parameters are typed errors naming the parameter", arguments: invalidCases)
    func invalid(name: String, parameters: SamplingParameters) {
        #expect {
            _ = try Sampler(parameters: parameters, vocabularySize: 4)
        } throws: { error in
            guard case .outOfRange(let n, _, _) = error as? SamplingError else { return false }
            return n == name
        }
    }

    @Test("logit_bias: -100 bans a token whatever its logit, +100 makes a token near certain, small biases shift odds (issue 16)")
    func logitBias() throws {
        var p = SamplingParameters.greedy
        p.logitBias = [1: -100]
        #expect(try Self.sample([0.1, 9, -2, 2.9], p) == 3)
        var hot = Self.params(temp: 1, topK: 2)
        hot.logitBias = [2: 100]
        #expect(try Self.histogram([0, 5, -3, 4], hot, n: 200)[2] == 200)
        // +ln 3 on one of two equal tokens: about 3 to 1 (1,000 draws: 750 expected, sd 14).
        var shift = Self.params(temp: 1)
        shift.logitBias = [0: logf(3)]
        let counts = try Self.histogram([1, 1, -.infinity], shift, n: 1000)
        #expect((680...820).contains(counts[0]), "\(counts)")
        // Banned under top-p and min-p too.
        var banned = Self.params(temp: 1, topP: 0.9, minP: 0.01)
        banned.logitBias = [0: -100, 2: -100]
        #expect(try Self.histogram([5, 1, 4, 0], banned, n: 300)[0] == 0)
    }

    @Test("logit_bias outside the vocabulary or beyond +-100 is refused, naming logit_bias")
    func logitBiasRefusals() throws {
        var p = SamplingParameters.greedy
        p.logitBias = [4: 1]
        #expect(throws: SamplingError.outOfRange(name: "logit_bias", value: "token 4", allowed: "token ids 0 to 3")) {
            try Self.sample([0, 1, 2, 3], p)
        }
        p.logitBias = [-1: 1]
        #expect(throws: SamplingError.self) { try p.validate() }
        p.logitBias = [0: 101]
        #expect(throws: SamplingError.outOfRange(name: "logit_bias", value: "101.0 for token 0", allowed: "-100 to 100")) { try p.validate() }
        p.logitBias = [0: .nan]
        #expect(throws: SamplingError.self) { try p.validate() }
    }

    /// log softmax in Double, for checking.
    static func logSoftmax(_ logits: [Float]) -> [Double] {
        let m = Double(logits.max()!)
        let z = m + log(logits.reduce(0.0) { $0 + exp(Double($1) - m) })
        return logits.map { Double($0) - z }
    }

    @Test("logprobs: the chosen token's and the k most likely, from the logits after penalties and bias, before temperature (issue 16)")
    func logprobs() throws {
        var random = SeededGenerator(seed: 11)
        let logits = (0..<5000).map { _ in Float(random.nextUnitFloat() * 20 - 10) }
        let expected = Self.logSoftmax(logits)
        let order = expected.indices.sorted { expected[$0] > expected[$1] }
        for (temperature, k) in [(Float(0), 5), (0.7, 20), (1.5, 0), (1, 1)] {
            var p = Self.params(temp: temperature, topK: 40)
            p.logprobs = k
            let sampler = try Sampler(parameters: p, vocabularySize: logits.count)
            let token = logits.withUnsafeBufferPointer { sampler.sample($0) }
            sampler.withLastLogprobs { chosen, top in
                #expect(chosen.token == token)
                #expect(abs(Double(chosen.logprob) - expected[Int(token)]) < 1e-4, "\(chosen) vs \(expected[Int(token)])")
                #expect(top.map { Int($0.token) } == Array(order.prefix(k)), "temperature \(temperature), k \(k)")
                for t in top { #expect(abs(Double(t.logprob) - expected[Int(t.token)]) < 1e-4) }
            }
            if temperature == 0 { #expect(Int(token) == order[0]) }
        }
        // Penalties and bias are in the distribution the logprobs describe; a banned token is in no list.
        var p = SamplingParameters.greedy
        p.logprobs = 3
        p.presencePenalty = 1
        p.logitBias = [2: -100, 3: 0.5]
        let small: [Float] = [1, 2, 3, 0.5, -1]
        let sampler = try Sampler(parameters: p, vocabularySize: small.count)
        let token = small.withUnsafeBufferPointer { sampler.sample($0, recent: [1, 1]) }
        let adjusted: [Float] = [1, 1, -.infinity, 1, -1]  // token 1 less the presence penalty, 3 plus its bias
        let reference = Self.logSoftmax(adjusted.map { $0 == -.infinity ? -1000 : $0 })
        #expect(token == 0)  // the first of the ties at 1
        sampler.withLastLogprobs { chosen, top in
            #expect(abs(Double(chosen.logprob) - reference[0]) < 1e-5)
            #expect(top.map(\.token) == [0, 1, 3] && abs(Double(top[2].logprob) - reference[3]) < 1e-5, "\(top.map { $0 })")
        }
    }
}
