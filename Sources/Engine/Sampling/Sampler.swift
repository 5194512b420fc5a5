import Memory
#if canImport(Glibc)
import Glibc
#endif

/// A token and its log-probability.
public struct TokenLogprob: Sendable, Equatable, BitwiseCopyable {
    public var token: TokenID
    public var logprob: Float

    public init(token: TokenID, logprob: Float) {
        self.token = token
        self.logprob = logprob
    }
}

/// Chooses the next token from logits: penalties and logit biases, then top-k, top-p and min-p
/// on the model's distribution, then temperature and a seeded draw (llama.cpp's default chain).
/// With `logprobs`, the log-probabilities are those of the logits after penalties and biases,
/// before temperature and the filters (as OpenAI documents them). Candidate storage is sized
/// to the vocabulary once.
public final class Sampler {
    /// A token and its (adjusted) logit.
    struct Candidate: BitwiseCopyable {
        var id: Int32
        var logit: Float
    }

    public private(set) var parameters: SamplingParameters
    private var random: SeededGenerator
    /// [vocab] working set
    private let candidates: AlignedBuffer<Candidate>
    /// The most likely tokens of the last draw (a min-heap while selecting), up to `maxTopLogprobs`.
    private let top = AlignedBuffer<Candidate>(count: SamplingParameters.maxTopLogprobs)
    private var topCount = 0
    /// The last drawn token's log-probability (with `logprobs`).
    private var chosen = TokenLogprob(token: 0, logprob: 0)

    /// A sampler for `vocabularySize` logits; throws on impossible parameters.
    public init(parameters: SamplingParameters, vocabularySize: Int) throws(SamplingError) {
        try parameters.validate(vocabularySize: vocabularySize)
        self.parameters = parameters
        var system = SystemRandomNumberGenerator()
        self.random = SeededGenerator(seed: parameters.seed ?? system.next())
        self.candidates = AlignedBuffer(count: vocabularySize)
    }

    /// Reuses this sampler (and its candidate storage) for new parameters; allocates nothing.
    public func reset(parameters: SamplingParameters) throws(SamplingError) {
        try parameters.validate(vocabularySize: candidates.count)
        self.parameters = parameters
        var system = SystemRandomNumberGenerator()
        random = SeededGenerator(seed: parameters.seed ?? system.next())
    }

    /// Picks the next token. `recent` is the sequence so far (the penalties read its tail).
    /// With `allowed` (a bit per token, as a grammar computes it), every other token is banned
    /// before anything else; at least one must be allowed.
    public func sample(_ logits: UnsafeBufferPointer<Float>, recent: [TokenID] = [], allowed: UnsafePointer<UInt64>? = nil) -> TokenID {
        precondition(logits.count == candidates.count, "logits do not match the vocabulary")
        let c = candidates.unsafeBuffer
        for i in 0..<c.count { c[i] = Candidate(id: Int32(i), logit: logits[i]) }
        if let allowed { Self.ban(c, outside: allowed) }
        applyPenalties(c, recent: recent)
        for (token, bias) in parameters.logitBias {
            c[Int(token)].logit = biased(c[Int(token)].logit, bias)
        }
        guard let k = parameters.logprobs else { return choose(c) }
        let logNormalizer = selectMostLikely(c, k: k)
        let token = choose(c)  // reorders and rewrites c: the chosen logit is worked out again
        chosen = TokenLogprob(token: token, logprob: adjustedLogit(of: token, logits, recent: recent) - logNormalizer)
        return token
    }

    /// Bans (logit -inf) every candidate whose bit in `allowed` is clear; whole words at a time.
    private static func ban(_ c: UnsafeMutableBufferPointer<Candidate>, outside allowed: UnsafePointer<UInt64>) {
        var word = 0
        while word * 64 < c.count {
            let bits = allowed[word]
            if bits != ~0 {
                let end = min(c.count, word * 64 + 64)
                for i in (word * 64)..<end where bits & (1 << UInt64(i & 63)) == 0 { c[i].logit = -.infinity }
            }
            word += 1
        }
    }

    /// The last draw's chosen token and its log-probability, and the `logprobs` most likely
    /// tokens with theirs, most likely first. Valid until the next `sample`; only with `logprobs`.
    public func withLastLogprobs<R>(_ body: (TokenLogprob, UnsafeBufferPointer<TokenLogprob>) -> R) -> R {
        // Candidate and TokenLogprob have one layout (an id, then a Float), as selectMostLikely leaves them.
        let raw = UnsafeRawPointer(top.pointer)
        return raw.withMemoryRebound(to: TokenLogprob.self, capacity: topCount) {
            body(chosen, UnsafeBufferPointer(start: $0, count: topCount))
        }
    }

    /// The filters and the draw over adjusted logits in `c` (in id order).
    private func choose(_ c: UnsafeMutableBufferPointer<Candidate>) -> TokenID {
        let p = parameters
        if p.temperature <= 0 { return argmax(c) }

        var n = c.count
        if p.topK > 0, p.topK < n {
            n = selectTop(c, k: p.topK)
        } else if p.topP < 1 || p.minP > 0 {
            Self.sortMostLikelyFirst(UnsafeMutableBufferPointer(rebasing: c[0..<n]))
        }
        // c[0..<n] is now sorted by logit, descending (or untouched when nothing filters).
        if p.topP < 1 || p.minP > 0 {
            let maxLogit = c[0].logit
            if p.minP > 0 {
                let floor = maxLogit + logf(p.minP)
                var kept = 1
                while kept < n, c[kept].logit >= floor { kept += 1 }
                n = kept
            }
            if p.topP < 1 {
                var total: Float = 0
                for i in 0..<n { total += expf(c[i].logit - maxLogit) }
                var cumulative: Float = 0
                var kept = 0
                while kept < n {
                    cumulative += expf(c[kept].logit - maxLogit) / total
                    kept += 1
                    if cumulative >= p.topP { break }
                }
                n = kept
            }
        }
        return draw(UnsafeMutableBufferPointer(rebasing: c[0..<n]), temperature: p.temperature)
    }

    private var penalizes: Bool {
        let p = parameters
        return p.penaltyWindow > 0 && (p.repetitionPenalty != 1 || p.frequencyPenalty != 0 || p.presencePenalty != 0)
    }

    private func applyPenalties(_ c: UnsafeMutableBufferPointer<Candidate>, recent: [TokenID]) {
        guard penalizes, !recent.isEmpty else { return }
        let window = recent.suffix(parameters.penaltyWindow)
        for (i, token) in zip(window.indices, window) {
            guard token >= 0, Int(token) < c.count else { continue }
            // Count each distinct token once, at its first occurrence in the window.
            if window[window.startIndex..<i].contains(token) { continue }
            let count = window[i...].reduce(0) { $0 + ($1 == token ? 1 : 0) }
            c[Int(token)].logit = penalized(c[Int(token)].logit, occurrences: count)
        }
    }

    /// A logit after the penalties for a token seen `occurrences` (> 0) times in the window.
    private func penalized(_ logit: Float, occurrences: Int) -> Float {
        let p = parameters
        let scaled = logit > 0 ? logit / p.repetitionPenalty : logit * p.repetitionPenalty
        return scaled - (Float(occurrences) * p.frequencyPenalty + p.presencePenalty)
    }

    /// A logit with a `logit_bias` entry applied (the banning bias makes it impossible).
    private func biased(_ logit: Float, _ bias: Float) -> Float {
        bias <= SamplingParameters.banningBias ? -.infinity : logit + bias
    }

    /// One token's logit as `sample` adjusts it: penalties, then bias.
    private func adjustedLogit(of token: TokenID, _ logits: UnsafeBufferPointer<Float>, recent: [TokenID]) -> Float {
        var logit = logits[Int(token)]
        if penalizes {
            let count = recent.suffix(parameters.penaltyWindow).reduce(0) { $0 + ($1 == token ? 1 : 0) }
            if count > 0 { logit = penalized(logit, occurrences: count) }
        }
        if let bias = parameters.logitBias[token] { logit = biased(logit, bias) }
        return logit
    }

    /// One pass over the adjusted logits: the log of their softmax's normalizer (an online
    /// log-sum-exp), and the k largest into `top`, most likely first, as log-probabilities.
    private func selectMostLikely(_ c: UnsafeMutableBufferPointer<Candidate>, k: Int) -> Float {
        let t = top.unsafeBuffer
        var maxLogit = -Float.infinity
        var sum = 0.0  // of exp(logit - maxLogit), in Double: 10^5 terms
        var n = 0
        // t[0..<k] is a min-heap of the best k seen so far.
        for i in 0..<c.count {
            let x = c[i].logit
            guard x > -.infinity else { continue }  // banned
            if x > maxLogit {
                sum = sum * Double(expf(maxLogit - x)) + 1
                maxLogit = x
            } else {
                sum += Double(expf(x - maxLogit))
            }
            if n < k {
                t[n] = c[i]
                n += 1
                if n == k { for j in stride(from: k / 2 - 1, through: 0, by: -1) { Self.siftDown(t, j, k) } }
            } else if k > 0, x > t[0].logit {
                t[0] = c[i]
                Self.siftDown(t, 0, k)
            }
        }
        Self.sortMostLikelyFirst(UnsafeMutableBufferPointer(rebasing: t[0..<n]))
        let logNormalizer = maxLogit + Float(log(sum))
        for j in 0..<n { t[j].logit -= logNormalizer }
        topCount = n
        return logNormalizer
    }

    private func argmax(_ c: UnsafeMutableBufferPointer<Candidate>) -> TokenID {
        var best = 0
        for i in 1..<c.count where c[i].logit > c[best].logit { best = i }
        return c[best].id
    }

    /// Sorts by logit, largest first, ties by id, in place: the standard library's sort
    /// allocates a merge buffer (73 KB a draw with top-k 40, 450 KB with top-p alone), which
    /// broke the allocation-free decode step for every sampler but greedy. Insertion sort for
    /// a few, heapsort beyond.
    static func sortMostLikelyFirst(_ c: UnsafeMutableBufferPointer<Candidate>) {
        @inline(__always) func before(_ a: Candidate, _ b: Candidate) -> Bool {
            a.logit > b.logit || (a.logit == b.logit && a.id < b.id)
        }
        let n = c.count
        if n <= 32 {
            for j in stride(from: 1, to: n, by: 1) {
                let item = c[j]
                var i = j
                while i > 0, before(item, c[i - 1]) {
                    c[i] = c[i - 1]
                    i -= 1
                }
                c[i] = item
            }
            return
        }
        // A heap whose root is the least likely; each pass moves the root to the end.
        func siftDown(_ start: Int, _ end: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < end, before(c[m], c[l]) { m = l }
                if r < end, before(c[m], c[r]) { m = r }
                if m == i { return }
                c.swapAt(i, m)
                i = m
            }
        }
        for i in stride(from: n / 2 - 1, through: 0, by: -1) { siftDown(i, n) }
        for end in stride(from: n - 1, to: 0, by: -1) {
            c.swapAt(0, end)
            siftDown(0, end)
        }
    }

    /// Restores the min-heap (by logit) of `h[0..<count]` below `start`.
    static func siftDown(_ h: UnsafeMutableBufferPointer<Candidate>, _ start: Int, _ count: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < count, h[l].logit < h[m].logit { m = l }
            if r < count, h[r].logit < h[m].logit { m = r }
            if m == i { return }
            h.swapAt(i, m)
            i = m
        }
    }

    /// Moves the k largest logits to the front, sorted descending; returns k.
    private func selectTop(_ c: UnsafeMutableBufferPointer<Candidate>, k: Int) -> Int {
        // c[0..<k] is a min-heap of the best k seen so far.
        for i in stride(from: k / 2 - 1, through: 0, by: -1) { Self.siftDown(c, i, k) }
        for i in k..<c.count where c[i].logit > c[0].logit {
            c[0] = c[i]
            Self.siftDown(c, 0, k)
        }
        Self.sortMostLikelyFirst(UnsafeMutableBufferPointer(rebasing: c[0..<k]))
        return k
    }

    /// Softmax with temperature over the survivors, then one draw.
    private func draw(_ c: UnsafeMutableBufferPointer<Candidate>, temperature: Float) -> TokenID {
        var maxLogit = -Float.infinity
        for x in c { maxLogit = max(maxLogit, x.logit) }
        var total: Float = 0
        for i in 0..<c.count {
            let e = expf((c[i].logit - maxLogit) / temperature)
            c[i].logit = e
            total += e
        }
        let target = random.nextUnitFloat() * total
        var cumulative: Float = 0
        for x in c {
            cumulative += x.logit
            if target < cumulative { return x.id }
        }
        return c[c.count - 1].id
    }
}
