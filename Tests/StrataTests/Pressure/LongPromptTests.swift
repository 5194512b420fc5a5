import Foundation
import Testing
import TestSupport

extension PressureScenarios {
    /// Prompts at, near and over the context limit (issue 15): served whole (in chunks of
    /// `--batch-tokens`, with the same tokens as unchunked), or a 400 naming the limit.
    @Suite struct LongPrompts {
        /// " a" n times: n + 2 prompt tokens for stories260K (BOS, the first " a" as two).
        static func prompt(tokens: Int) -> String { String(repeating: " a", count: tokens - 2) }

        static func complete(_ server: ServerProcess, tokens: Int, maxTokens: Int?) async throws -> (Int, [String: Any]) {
            var body: [String: Any] = ["prompt": prompt(tokens: tokens), "temperature": 0]
            if let maxTokens { body["max_tokens"] = maxTokens }
            let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
            let (status, text) = try await HTTP.post(server.baseURL + "/v1/completions", json: json)
            return (status, (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:])
        }

        @Test("context 256: prompts of 200 to 255 tokens are served in 64-token chunks as unchunked; 256 and beyond are a 400")
        func longPrompts() async throws {
            let context = 256
            let chunked = try await ServerProcess.start(["--ctx", "\(context)", "--batch-tokens", "64", "--deterministic", "--prefix-cache", "0"])
            defer { chunked.stop() }
            let whole = try await ServerProcess.start(["--ctx", "\(context)", "--batch-tokens", "512", "--deterministic", "--prefix-cache", "0"])
            defer { whole.stop() }
            var report = PressureReport("long prompts: at, near and over a 256-token context, stories260K, --batch-tokens 64")
            // Near and at the limit, with the room left to generate, or the default length.
            for (tokens, maxTokens) in [(200, 56), (240, nil), (255, 1), (254, nil)] as [(Int, Int?)] {
                let (status, body) = try await Self.complete(chunked, tokens: tokens, maxTokens: maxTokens)
                let (_, reference) = try await Self.complete(whole, tokens: tokens, maxTokens: maxTokens)
                report.sent += 1
                let usage = body["usage"] as? [String: Any]
                #expect(status == 200, "\(tokens) + \(String(describing: maxTokens)): \(body)")
                #expect(usage?["prompt_tokens"] as? Int == tokens)
                #expect((usage?["total_tokens"] as? Int ?? .max) <= context)
                let text = (body["choices"] as? [[String: Any]])?.first?["text"] as? String
                #expect(text != nil && text == (reference["choices"] as? [[String: Any]])?.first?["text"] as? String,
                        "\(tokens): chunked and whole prompts disagree")
                if status == 200 { report.completed += 1; report.accepted += 1 }
            }
            // Over it: the prompt alone, or with what it asks to generate.
            for (tokens, maxTokens) in [(256, nil), (255, 2), (300, nil), (2000, 10)] as [(Int, Int?)] {
                let (status, body) = try await Self.complete(chunked, tokens: tokens, maxTokens: maxTokens)
                report.sent += 1
                let error = body["error"] as? [String: Any]
                #expect(status == 400 && error?["code"] as? String == "context_length_exceeded", "\(tokens): \(status) \(body)")
                #expect((error?["message"] as? String)?.contains("\(context) tokens") == true)
                if status == 400 { report.refused += 1 }
            }
            report.read(try chunked.scrapeClosing(), chunked.probe)
            report.emit()
        }
    }
}
