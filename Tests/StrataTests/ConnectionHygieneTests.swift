import Foundation
import Testing
import TestSupport

/// Connections that hold the server without finishing a request are closed on time, and a full
/// house of them does not stop `/health` (issue 15: 200 idle, slow-header and half-body
/// connections were still open after 60 s, and a few hundred made new connections time out).
@Suite struct ConnectionHygieneTests {
    @Test("idle, silent and byte-a-time-header connections are closed after the idle timeout")
    func idleConnectionsAreClosed() async throws {
        let server = try await ServerProcess.start(["--idle-timeout", "1"])
        defer { server.stop() }
        #expect(server.log.contains("idle timeout 1 s, body timeout 30 s"), "\(server.log)")
        let silent = try RawConnection(port: server.port)
        let keptAlive = try RawConnection(port: server.port)
        keptAlive.send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let slow = try RawConnection(port: server.port)
        for byte in "GET /health HTTP/1.1\r\nHost: loc" {
            guard slow.send(String(byte)) else { break }
            try await Task.sleep(for: .milliseconds(150))
        }
        #expect(silent.readUntilClosed().closed)
        let answered = keptAlive.readUntilClosed()
        #expect(answered.closed && answered.text.hasPrefix("HTTP/1.1 200"), "\(answered.text)")
        #expect(slow.readUntilClosed().closed)
    }

    /// (Issue 15: the 413's connection, `Connection: close` notwithstanding, stayed open until
    /// the idle timeout: here 60 s, past the 10 s the reads wait.)
    @Test("a body that stops halfway gets 408 and the connection closes; an oversized one 413 and closes at once")
    func unfinishedAndOversizedBodies() async throws {
        let server = try await ServerProcess.start(["--body-timeout", "1", "--idle-timeout", "60"])
        defer { server.stop() }
        let half = try RawConnection(port: server.port)
        half.send("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"prompt\": ")
        let timedOut = half.readUntilClosed()
        #expect(timedOut.closed && timedOut.text.hasPrefix("HTTP/1.1 408"), "\(timedOut.text)")
        #expect(timedOut.text.contains("request_timeout") && timedOut.text.lowercased().contains("connection: close"), "\(timedOut.text)")

        let big = try RawConnection(port: server.port)
        big.send("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n\r\n{\"prompt\": \"")
        let refused = big.readUntilClosed()
        #expect(refused.closed && refused.text.hasPrefix("HTTP/1.1 413"), "closed \(refused.closed): \(refused.text)")
        #expect(refused.text.lowercased().contains("connection: close"), "\(refused.text)")
        let (status, _) = try await HTTP.get(server.baseURL + "/health")
        #expect(status == 200)
    }

    @Test("past --max-connections connections wait instead of failing; /health is answered once idle ones time out")
    func aFullHouseStillAnswersHealth() async throws {
        let server = try await ServerProcess.start(["--max-connections", "8", "--idle-timeout", "1"])
        defer { server.stop() }
        #expect(server.log.contains("connections: at most 8 open"), "\(server.log)")
        // The start-up probe's kept-alive connection closes first: /health needs a new one.
        try await Task.sleep(for: .milliseconds(1500))
        let idle = try (0..<40).map { _ in try RawConnection(port: server.port) }
        let (status, body) = try await HTTP.get(server.baseURL + "/health")
        #expect(status == 200, "\(body)")
        withExtendedLifetime(idle) {}
    }

    @Test("SIGTERM with a long stream running: the stream ends with an error event within --shutdown-grace, the server exits 0",
          .enabled(if: TestModels.smollm2IsPresent, Comment(rawValue: TestModels.smollm2Missing)))
    func sigtermWithAStreamRunning() async throws {
        // SmolLM2 asked for 3,000 tokens: a minute or more of generation.
        let server = try await ServerProcess.start(["--model", TestModels.smollm2Path, "--shutdown-grace", "2"])
        #expect(server.log.contains("shutdown grace 2 s"), "\(server.log)")
        let stream = try RawConnection(port: server.port, readTimeout: 60)
        stream.send(Self.post(#"{"prompt": "Once upon a time", "max_tokens": 3000, "stream": true}"#))
        _ = stream.read(until: "data: ", times: 3)
        let start = ContinuousClock.now
        let status = server.stop()
        let rest = stream.readUntilClosed()
        #expect(status == 0)
        // A bound far above the 2 s grace, far below the stream's natural end.
        #expect(ContinuousClock.now - start < .seconds(30), "SIGTERM waited \(ContinuousClock.now - start)")
        #expect(rest.closed && rest.text.contains(#""error""#), "\(rest.text.suffix(300))")
    }

    @Test("SIGTERM finishes while a client holds a half-sent body: the body timeout ends it")
    func sigtermWithAHalfSentBody() async throws {
        let server = try await ServerProcess.start(["--body-timeout", "2"])
        let half = try RawConnection(port: server.port)
        half.send("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        try await Task.sleep(for: .milliseconds(200))
        let start = ContinuousClock.now
        let status = server.stop()
        #expect(status == 0)
        // Not a timing assertion: a bound far above the 2 s timeout, below "never".
        #expect(ContinuousClock.now - start < .seconds(30), "SIGTERM waited \(ContinuousClock.now - start)")
        withExtendedLifetime(half) {}
    }

    /// (Issue 15: the watch for a disconnect started before the submission, consumed the
    /// connection, and a refused request's connection closed without `Connection: close`: a
    /// keep-alive client's retry on it failed with "connection closed".)
    @Test("a 429 keeps the connection open for the retry; a served completion says Connection: close and closes",
          .enabled(if: TestModels.smollm2IsPresent, Comment(rawValue: TestModels.smollm2Missing)))
    func refusalKeepsTheConnection() async throws {
        // SmolLM2: a stream of 3,000 tokens holds the one slot for as long as the test needs.
        let server = try await ServerProcess.start(["--model", TestModels.smollm2Path, "--parallel", "1", "--queue", "1"])
        defer { server.stop() }
        let busy = try RawConnection(port: server.port)
        busy.send(Self.post(#"{"prompt": "Once upon a time", "max_tokens": 3000, "stream": true}"#))
        #expect(String(decoding: busy.read(atLeast: 1), as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        let client = try RawConnection(port: server.port)
        var answers = ""
        for _ in 0..<2 {
            #expect(client.send(Self.post(#"{"prompt": "Hello", "max_tokens": 4}"#)))
            answers += client.read(until: "}}")  // the end of its JSON error
        }
        #expect(answers.components(separatedBy: "HTTP/1.1 429").count == 3, "\(answers)")
        #expect(answers.lowercased().contains("retry-after: 1") && !answers.lowercased().contains("connection: close"), "\(answers)")
        busy.close()
        // Once the stream's client left, a completion is served on the same connection, and closes it.
        var served = ""
        for _ in 0..<300 where !served.hasPrefix("HTTP/1.1 200") {
            try await Task.sleep(for: .milliseconds(100))
            guard client.send(Self.post(#"{"prompt": "Hello", "max_tokens": 4}"#)) else { break }
            served = client.read(until: "\r\n\r\n")
            if served.hasPrefix("HTTP/1.1 429"), !served.hasSuffix("}}") { served += client.read(until: "}}") }
        }
        let rest = client.readUntilClosed()
        #expect((served + rest.text).hasPrefix("HTTP/1.1 200") && (served + rest.text).lowercased().contains("connection: close"), "\(served)")
        #expect(rest.closed)
    }

    static func post(_ body: String, path: String = "/v1/completions") -> String {
        "POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }
}
