import Foundation
import HummingbirdTesting
import Testing

/// The official `openai` Python client against the server (over a real socket, with the mock backend):
/// a reference nobody here wrote for the JSON shapes, the event stream and the error statuses.
/// Runs where `python3` can import `openai`.
@Suite(.enabled(if: Python.canImportOpenAI), .timeLimit(.minutes(1)))
struct OpenAIClientTests {
    static let script = #"""
        import sys, openai
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{sys.argv[1]}/v1", api_key="sk-test", max_retries=0)

        r = client.completions.create(model="mock-model", prompt="a b c", max_tokens=2, temperature=0)
        assert r.object == "text_completion" and r.id.startswith("cmpl-"), r
        assert r.choices[0].text == "a b" and r.choices[0].finish_reason == "length", r
        assert (r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.total_tokens) == (6, 2, 8), r.usage

        pieces = [c.choices[0].text for c in client.completions.create(model="mock-model", prompt="a b c", stream=True) if c.choices]
        assert "".join(pieces) == "a b c", pieces

        c = client.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": "x y"}], max_tokens=3)
        assert c.choices[0].message.role == "assistant" and c.choices[0].message.content == "user: x y", c
        assert c.choices[0].finish_reason == "length", c

        chunks = list(client.chat.completions.create(
            model="mock-model", messages=[{"role": "user", "content": "x y"}], stream=True, stream_options={"include_usage": True}))
        assert chunks[0].choices[0].delta.role == "assistant", chunks[0]
        assert "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices) == "user: x y", chunks
        assert [ch.choices[0].finish_reason for ch in chunks if ch.choices][-1] == "stop", chunks
        assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 3, chunks[-1]

        models = client.models.list()
        assert [m.id for m in models.data] == ["mock-model"], models
        assert client.models.retrieve("mock-model").owned_by == "strata"

        def expect(error, call):
            try:
                call()
            except error as e:
                assert isinstance(e.body, dict) and e.body.get("message"), e.body
                return e
            raise AssertionError(f"expected {error.__name__}")

        e = expect(openai.BadRequestError, lambda: client.completions.create(model="mock-model", prompt="hi", temperature=5))
        assert e.body["param"] == "temperature", e.body
        expect(openai.NotFoundError, lambda: client.completions.create(model="gpt-4", prompt="hi"))
        expect(openai.NotFoundError, lambda: client.models.retrieve("gpt-4"))
        expect(openai.AuthenticationError, lambda: openai.OpenAI(
            base_url=client.base_url, api_key="sk-wrong", max_retries=0).models.list())
        print("ok")
        """#

    @Test("the openai client completes, streams, lists models and reads errors")
    func officialClient() async throws {
        try await withServer(MockBackend(), .live, configure: { $0.apiKey = "sk-test" }) { client in
            let port = try #require(client.port)
            let result = try await Task.detached { try Python.run(["-c", Self.script, String(port)]) }.value
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.hasSuffix("ok\n"), "\(result.output)")
        }
    }
}

/// The `python3` on the PATH.
enum Python {
    static let canImportOpenAI: Bool = (try? run(["-c", "import openai"]).status) == 0

    /// Runs `python3` with `arguments`, returning its exit status and its output (stdout and stderr).
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
