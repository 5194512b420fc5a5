import Memory
#if canImport(Glibc)
import Glibc
#endif

/// Chooses the next token from logits: penalties and logit biases, then top-k, top-p and min-p
/// on the model's distribution, then temperature and a seeded draw (llama.cpp's default chain).
/// Candidate storage is sized to the vocabulary once.
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
    public func sample(_ logits: UnsafeBufferPointer<Float>, recent: [TokenID] = []) -> TokenID {
        precondition(logits.count == candidates.count, "logits do not match the vocabulary")
        let p = parameters
        let c = candidates.unsafeBuffer
        for i in 0..<c.count { c[i] = Candidate(id: Int32(i), logit: logits[i]) }
        applyPenalties(c, recent: recent)
        for (token, bias) in p.logitBias {
            c[Int(token)].logit = bias <= SamplingParameters.banningBias ? -.infinity : c[Int(token)].logit + bias
        }

        if p.temperature <= 0 { return argmax(c) }

        var n = c.count
        if p.topK > 0, p.topK < n {
            n = selectTop(c, k: p.topK)
        } else if p.topP < 1 || p.minP > 0 {
            var all = UnsafeMutableBufferPointer(rebasing: c[0..<n])
            all.sort { $0.logit > $1.logit }
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

    private func applyPenalties(_ c: UnsafeMutableBufferPointer<Candidate>, recent: [TokenID]) {
        let p = parameters
        guard p.penaltyWindow > 0, !recent.isEmpty,
              p.repetitionPenalty != 1 || p.frequencyPenalty != 0 || p.presencePenalty != 0 else { return }
        let window = recent.suffix(p.penaltyWindow)
        for (i, token) in zip(window.indices, window) {
            guard token >= 0, Int(token) < c.count else { continue }
            // Count each distinct token once, at its first occurrence in the window.
            if window[window.startIndex..<i].contains(token) { continue }
            let count = window[i...].reduce(0) { $0 + ($1 == token ? 1 : 0) }
            var logit = c[Int(token)].logit
            logit = logit > 0 ? logit / p.repetitionPenalty : logit * p.repetitionPenalty
            logit -= Float(count) * p.frequencyPenalty + p.presencePenalty
            c[Int(token)].logit = logit
        }
    }

    private func argmax(_ c: UnsafeMutableBufferPointer<Candidate>) -> TokenID {
        var best = 0
        for i in 1..<c.count where c[i].logit > c[best].logit { best = i }
        return c[best].id
    }

    /// Moves the k largest logits to the front, sorted descending; returns k.
    private func selectTop(_ c: UnsafeMutableBufferPointer<Candidate>, k: Int) -> Int {
        // A min-heap of the best k seen so far in c[0..<k].
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < k, c[l].logit < c[m].logit { m = l }
                if r < k, c[r].logit < c[m].logit { m = r }
                if m == i { return }
                c.swapAt(i, m)
                i = m
            }
        }
        for i in stride(from: k / 2 - 1, through: 0, by: -1) { siftDown(i) }
        for i in k..<c.count where c[i].logit > c[0].logit {
            c[0] = c[i]
            siftDown(0)
        }
        var top = UnsafeMutableBufferPointer(rebasing: c[0..<k])
        top.sort { $0.logit > $1.logit }
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
