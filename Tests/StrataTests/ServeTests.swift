import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TestSupport

/// `strata serve` end to end: the real binary on a loopback port, driven by the official
/// openai Python client and by AsyncHTTPClient.
@Suite(.serialized) struct ServeTests {
    static func completionJSON(_ prompt: String, maxTokens: Int, stream: Bool = false) -> String {
        let escaped = prompt.replacingOccurrences(of: "\"", with: "\\\"")
        return #"{"prompt": "\#(escaped)", "max_tokens": \#(maxTokens), "temperature": 0, "stream": \#(stream)}"#
    }

    static func text(ofCompletion body: String) throws -> String {
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        let choices = json?["choices"] as? [[String: Any]]
        return try #require(choices?.first?["text"] as? String)
    }

    /// A metric's value from Prometheus text (`name{labels} value` or `name value`).
    static func metric(_ text: String, _ name: String) -> Double? {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count >= 2, parts[0] == name { return Double(parts[1]) }
        }
        return nil
    }

    @Test("the openai Python client: models, completions, chat, streaming, usage, stop, seeds, errors")
    func openaiClient() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        try Self.runPythonCheck("openai_client_check.py", against: server)
    }

    @Test("the openai Python client: /tokenize, token-id prompts, echo, logit_bias, stop_token_ids, stop strings as stops, n (issue 16)")
    func openaiClientAPIBreadth() async throws {
        let server = try await ServerProcess.start(["--deterministic"])
        defer { server.stop() }
        try Self.runPythonCheck("openai_api_breadth_check.py", against: server)
    }

    @Test("the openai Python client: json_schema replies validate against 20 schemas, forced tool calls parse (issue 16)")
    func openaiClientStructuredOutput() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        try Self.runPythonCheck("openai_structured_check.py", against: server)
    }

    /// Runs `Tests/StrataTests/<script> BASE_URL` with python3; it must exit 0 and print OK.
    static func runPythonCheck(_ script: String, against server: ServerProcess) throws {
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", Fixtures.repositoryRoot + "/Tests/StrataTests/" + script, server.baseURL]
        let out = Pipe()
        python.standardOutput = out
        python.standardError = out
        try python.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        python.waitUntilExit()
        #expect(python.terminationStatus == 0, "\(output)\n--- server log ---\n\(server.log)")
        #expect(output.contains("OK"))
    }

    @Test("the openai Python client against an embedding model: floats, base64, token ids, errors")
    func openaiClientEmbeddings() async throws {
        let server = try await ServerProcess.start(["--model", Fixtures.model("minilm")])
        defer { server.stop() }
        try Self.runPythonCheck("openai_embeddings_check.py", against: server)
    }

    @Test("SmolLM2 (the default model) with the openai client: llama.cpp's greedy text, chat through its template",
          .enabled(if: TestModels.smollm2IsPresent, Comment(rawValue: TestModels.smollm2Missing)))
    func openaiClientSmolLM2() async throws {
        let server = try await ServerProcess.start(["--model", TestModels.smollm2Path])
        defer { server.stop() }
        #expect(server.log.contains("chat template: jinja (the model's own tokenizer.chat_template)"))
        try Self.runPythonCheck("openai_smollm2_check.py", against: server)
    }

    @Test("SmolLM2 (the default model): json_schema replies validate, forced tool calls parse (issue 16)",
          .enabled(if: TestModels.smollm2IsPresent, Comment(rawValue: TestModels.smollm2Missing)))
    func openaiClientStructuredSmolLM2() async throws {
        let server = try await ServerProcess.start(["--model", TestModels.smollm2Path])
        defer { server.stop() }
        try Self.runPythonCheck("openai_structured_check.py", against: server)
    }

    @Test("8 concurrent greedy requests return exactly what each returns alone")
    func concurrentEqualsAlone() async throws {
        let server = try await ServerProcess.start(["--parallel", "8"])
        defer { server.stop() }
        let prompts = ["Once upon a time", "The little dog", "Lily and Ben went to", "A big red ball",
                       "One day, a girl", "The sun was", "Tom had a toy", "In the park"]
        var alone: [String] = []
        for p in prompts {
            let (status, body) = try await HTTP.post(server.baseURL + "/v1/completions", json: Self.completionJSON(p, maxTokens: 48))
            #expect(status == 200, "\(body)")
            alone.append(try Self.text(ofCompletion: body))
        }
        let together = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (i, p) in prompts.enumerated() {
                group.addTask {
                    let (_, body) = try await HTTP.post(server.baseURL + "/v1/completions", json: Self.completionJSON(p, maxTokens: 48))
                    return (i, try Self.text(ofCompletion: body))
                }
            }
            var out = [String](repeating: "", count: prompts.count)
            for try await (i, text) in group { out[i] = text }
            return out
        }
        #expect(together == alone)
    }

    @Test("a client that disconnects mid-stream has its sequence cancelled and its pages freed")
    func disconnectCancels() async throws {
        let server = try await ServerProcess.start(["--ctx", "2048"])
        defer { server.stop() }
        var request = HTTPClientRequest(url: server.baseURL + "/v1/completions")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: Self.completionJSON("Once upon a time", maxTokens: 2000, stream: true)))
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let response = try await client.execute(request, timeout: .seconds(60))
            #expect(response.status == .ok)
            var iterator = response.body.makeAsyncIterator()
            _ = try await iterator.next()  // the first event arrived: generation is under way
        } catch {
            // An error fails the test; an HTTPClient released without shutdown() traps the process.
            try? await client.shutdown()
            throw error
        }
        // Closing the client closes the connection mid-stream.
        try await client.shutdown()
        // Full blocks of the cancelled sequence may stay as reusable prefix cache; nothing else may.
        var cancelled = 0.0, running = 1.0, hotPages = 1.0, cachedPages = 0.0, aborted = 0.0, ok = 0.0
        for _ in 0..<200 {
            let (_, metrics) = try await HTTP.get(server.baseURL + "/metrics")
            cancelled = Self.metric(metrics, "strata_requests_cancelled_total") ?? 0
            // The aborted stream counts as 499, not as the 200 its headers said.
            aborted = Self.metric(metrics, #"strata_requests_total{endpoint="/v1/completions",status="499"}"#) ?? 0
            ok = Self.metric(metrics, #"strata_requests_total{endpoint="/v1/completions",status="200"}"#) ?? 0
            running = Self.metric(metrics, "strata_running_sequences") ?? -1
            hotPages = Self.metric(metrics, #"strata_kv_pages{state="hot"}"#) ?? -1
            cachedPages = Self.metric(metrics, "strata_kv_cached_pages") ?? -1
            if cancelled >= 1, aborted >= 1, running == 0, hotPages >= 0, hotPages <= cachedPages { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(cancelled == 1)
        #expect(aborted == 1 && ok == 0, "aborted \(aborted), ok \(ok)")
        #expect(running == 0)
        #expect(hotPages >= 0 && hotPages <= cachedPages, "hot \(hotPages), cached \(cachedPages)")
    }

    @Test("each bad input gets its status and an OpenAI error body; a normal request succeeds right after")
    func badInputs() async throws {
        let server = try await ServerProcess.start(["--api-key", "sekret"])
        defer { server.stop() }
        let auth = [("Authorization", "Bearer sekret")]
        let url = server.baseURL + "/v1/completions"
        let cases: [(String, Int, [(String, String)])] = [
            (#"{"prompt": "x", "max_tokens": 4"#, 400, auth),                        // malformed JSON
            (#"{"prompt": 42, "max_tokens": 4}"#, 400, auth),                       // wrong type
            (#"{"prompt": "x", "max_tokens": "four"}"#, 400, auth),                 // wrong type
            (#"{"prompt": "x", "max_tokens": 4, "top_p": 7}"#, 400, auth),           // out of range
            (#"{"prompt": "x", "max_tokens": 100000}"#, 400, auth),                  // longer than the context
            (#"{"prompt": "x", "max_tokens": 4, "model": "gpt-9"}"#, 404, auth),     // unknown model
            (#"{"prompt": "x", "max_tokens": 4}"#, 401, []),                         // no key
            (#"{"prompt": "x", "max_tokens": 4}"#, 401, [("Authorization", "Bearer wrong")]),
        ]
        for (body, status, headers) in cases {
            let (got, response) = try await HTTP.post(url, json: body, headers: headers)
            #expect(got == status, "\(body): \(got) \(response)")
            let json = try JSONSerialization.jsonObject(with: Data(response.utf8)) as? [String: Any]
            let error = json?["error"] as? [String: Any]
            #expect(error?["message"] as? String != nil, "\(body): \(response)")
        }
        let (notFound, _) = try await HTTP.get(server.baseURL + "/v1/nothing-here", headers: auth)
        #expect(notFound == 404)
        let huge = #"{"prompt": ""# + String(repeating: "a", count: 3 << 20) + #"", "max_tokens": 1}"#
        let (tooLarge, _) = try await HTTP.post(url, json: huge, headers: auth)
        #expect(tooLarge == 413)
        let (ok, body) = try await HTTP.post(url, json: Self.completionJSON("Once", maxTokens: 4), headers: auth)
        #expect(ok == 200, "\(body)")
        let (health, _) = try await HTTP.get(server.baseURL + "/health")
        #expect(health == 200)
    }

    @Test("/metrics is Prometheus text and its counters move as requests are served")
    func metricsMove() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let (_, before) = try await HTTP.get(server.baseURL + "/metrics")
        for line in before.split(separator: "\n") where !line.hasPrefix("#") {
            // name{labels} value
            let parts = line.split(separator: " ")
            #expect(parts.count == 2 && Double(parts[1]) != nil, "not a sample: \(line)")
        }
        let generatedBefore = Self.metric(before, "strata_generated_tokens_total") ?? 0
        for _ in 0..<3 {
            let (status, _) = try await HTTP.post(server.baseURL + "/v1/completions", json: Self.completionJSON("Once", maxTokens: 8))
            #expect(status == 200)
        }
        let (_, after) = try await HTTP.get(server.baseURL + "/metrics")
        #expect((Self.metric(after, "strata_generated_tokens_total") ?? 0) >= generatedBefore + 24)
        #expect(after.contains("strata_requests_total"))
        #expect(after.contains("strata_time_to_first_token_seconds"))
    }

    @Test("SIGTERM shuts the server down cleanly")
    func gracefulShutdown() async throws {
        let server = try await ServerProcess.start()
        #expect(server.stop() == 0, "\(server.log)")
    }
}
