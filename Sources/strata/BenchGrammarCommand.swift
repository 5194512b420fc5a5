import ArgumentParser
import Engine
import Foundation
import Memory
import StrataRuntime

/// `strata bench grammar`: what constrained sampling costs a decode step. Greedy decode of the
/// same prompt free and under a JSON schema's grammar, rounds interleaved, one sequence; the
/// figure is the median per-round ratio of milliseconds per decode step (prefill excluded).
struct BenchGrammarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grammar",
        abstract: "Measure the decode-step cost of a JSON schema's token mask against free decoding.")

    @OptionGroup var model: ModelOptions

    @Option(name: .long, help: "JSON schema file (default: a list of people with names, ages, cities and hobbies).")
    var schema: String?

    @Option(name: [.customShort("n"), .customLong("n-gen")], help: "Tokens to generate per run.")
    var tokens: Int = 128

    @Option(name: [.customShort("r"), .customLong("repetitions")], help: "Rounds (each runs free, then constrained).")
    var repetitions: Int = 5

    static let defaultSchema = #"""
        {"type": "object", "properties": {"people": {"type": "array", "items": {"type": "object", "properties": {
          "name": {"type": "string"}, "age": {"type": "integer"}, "city": {"type": "string"},
          "hobbies": {"type": "array", "items": {"type": "string"}}}, "required": ["name", "age", "city", "hobbies"]}}},
         "required": ["people"]}
        """#

    func validate() throws {
        guard tokens >= 2, repetitions >= 1 else { throw ValidationError("-n must be >= 2 and -r >= 1") }
    }

    func run() throws {
        let loaded = try model.load()
        let text = try schema.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? Self.defaultSchema
        let clock = ContinuousClock()
        let grammar: Grammar
        do {
            grammar = try JSONSchemaGrammar.compile(try JSONValue.parse(text))
        } catch {
            throw Console.fail(error)
        }
        var start = clock.now
        let trie = TokenTrie(tokenizer: loaded.tokenizer, vocabularySize: loaded.model.shape.vocabularySize)
        let trieTime = clock.now - start
        let constrained = ConstrainedGrammar(grammar: grammar, trie: trie)

        var options = EngineOptions()
        options.maxSequences = 1
        options.maxRequests = 1
        let threads = model.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let engine = try InferenceEngine(model: loaded, pool: ThreadPool(threads: threads), options: options)
        let prompt = loaded.tokenizer.encode("Here are three people, as JSON:", addBOS: loaded.tokenizer.vocabulary.addBOS)

        /// Milliseconds per decode step and the tokens generated.
        func decode(_ grammar: ConstrainedGrammar?) throws -> (ms: Double, tokens: Int) {
            let id = try engine.scheduler.submit(GenerationRequest(prompt: prompt, maxTokens: tokens, sampling: .greedy, grammar: grammar))
            engine.scheduler.step()  // the prompt
            let start = clock.now
            var steps = 0
            while engine.scheduler.hasWork {
                engine.scheduler.step()
                steps += 1
            }
            let elapsed = clock.now - start
            let generated = engine.scheduler.generated(by: id).count
            engine.scheduler.release(id)
            return (Self.milliseconds(elapsed) / Double(max(1, steps)), generated)
        }

        _ = try decode(nil)  // warm-up
        var free: [Double] = [], masked: [Double] = [], ratios: [Double] = []
        var constrainedTokens = 0
        for _ in 0..<repetitions {
            let f = try decode(nil)
            let c = try decode(constrained)
            free.append(f.ms)
            masked.append(c.ms)
            ratios.append(c.ms / f.ms)
            constrainedTokens = c.tokens
        }
        start = clock.now
        let s = engine.scheduler.statistics
        print("model \(loaded.path), vocabulary \(trie.vocabularySize) tokens (trie of \(trie.nodeCount) nodes built in \(String(format: "%.1f", Self.milliseconds(trieTime))) ms), \(threads) threads")
        print(String(format: "free decode step        %.3f ms (median of %d)", Self.median(free), repetitions))
        print(String(format: "constrained decode step %.3f ms (%d tokens a run; masks: %d cached, %d walked over %d trie nodes)",
                     Self.median(masked), constrainedTokens, s.grammarMaskHits, s.grammarMaskWalks, s.grammarWalkedNodes))
        print(String(format: "constrained / free      %.3f (median per-round ratio)", Self.median(ratios)))
    }

    static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) * 1e-15
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
