import Engine
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// What a browser page or a careless client must not get from a local server, and the probes a
/// load balancer sends (issue 15).
@Suite struct ProtocolEdgeTests {
    static let host = HTTPField.Name("Host")!

    @Test("a loopback server refuses requests addressed to another host name (DNS rebinding), unless allowed")
    func foreignHostsAreRefused() async throws {
        try await withServer(MockBackend(), .live) { client in
            let evil = try await client.execute(uri: "/v1/models", method: .get, headers: [Self.host: "evil.example"])
            try expectOpenAIError(evil, .forbidden, code: "host_not_allowed")
            for good in ["localhost:8080", "127.0.0.1", "LOCALHOST"] {
                let response = try await client.execute(uri: "/v1/models", method: .get, headers: [Self.host: good])
                #expect(response.status == .ok, "\(good)")
            }
        }
        try await withServer(MockBackend(), .live, configure: { $0.allowedHosts = ["proxy.internal"] }) { client in
            let proxied = try await client.execute(uri: "/health", method: .get, headers: [Self.host: "proxy.internal:443"])
            #expect(proxied.status == .ok)
            let other = try await client.execute(uri: "/health", method: .get, headers: [Self.host: "evil.example"])
            #expect(other.status == .forbidden)
        }
    }

    @Test("a body that is not declared JSON is a 415: a cross-origin text/plain POST runs nothing")
    func bodiesMustBeJSON() async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            let body = JSON.body(["prompt": "hi", "max_tokens": 2])
            for type in ["text/plain", "application/x-www-form-urlencoded", nil] as [String?] {
                var headers: HTTPFields = [:]
                if let type { headers[.contentType] = type }
                let response = try await client.execute(uri: "/v1/completions", method: .post, headers: headers, body: body)
                try expectOpenAIError(response, .unsupportedMediaType, code: "unsupported_media_type")
            }
            let ok = try await client.execute(uri: "/v1/completions", method: .post,
                                              headers: [.contentType: "application/json; charset=utf-8"], body: body)
            #expect(ok.status == .ok)
        }
    }

    @Test("HEAD /health answers the status without a body")
    func headHealth() async throws {
        try await withServer(MockBackend()) { client in
            let response = try await client.execute(uri: "/health", method: .head)
            #expect(response.status == .ok)
            #expect(response.body.readableBytes == 0)
        }
    }
}

/// Over-long request targets get a JSON 414; a 404 does not echo a long path back.
@Suite struct RequestTargetTests {
    @Test func longURIsAreRefusedAndNotEchoed() async throws {
        try await withServer(MockBackend()) { client in
            let long = try await client.get("/" + String(repeating: "a", count: 9000))
            try expectOpenAIError(long, .uriTooLong, code: "uri_too_long")
            let notFound = try await client.get("/" + String(repeating: "b", count: 5000))
            try expectOpenAIError(notFound, .notFound, code: "not_found")
            #expect(notFound.body.readableBytes < 1000)
        }
    }
}

/// CORS is off unless origins are allowed; then their preflights and responses carry it.
@Suite struct CORSTests {
    static let preflight: HTTPFields = [.origin: "https://app.example", .accessControlRequestMethod: "POST",
                                        .accessControlRequestHeaders: "content-type"]

    @Test func noOriginIsAllowedByDefault() async throws {
        try await withServer(MockBackend()) { client in
            let response = try await client.execute(uri: "/v1/completions", method: .options, headers: Self.preflight)
            #expect(response.headers[.accessControlAllowOrigin] == nil)
            #expect(response.status != .noContent && response.status != .ok)
        }
    }

    @Test func allowedOriginsGetPreflightsAndHeaders() async throws {
        try await withServer(MockBackend(), configure: { $0.allowedOrigins = ["https://app.example"] }) { client in
            let preflight = try await client.execute(uri: "/v1/completions", method: .options, headers: Self.preflight)
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowOrigin] == "https://app.example")
            #expect(preflight.headers[.accessControlAllowHeaders]?.contains("content-type") == true)
            var headers = JSON.headers
            headers[.origin] = "https://app.example"
            let post = try await client.execute(uri: "/v1/completions", method: .post, headers: headers, body: JSON.body(["prompt": "hi"]))
            #expect(post.status == .ok)
            #expect(post.headers[.accessControlAllowOrigin] == "https://app.example")
            var other = Self.preflight
            other[.origin] = "https://evil.example"
            let refused = try await client.execute(uri: "/v1/completions", method: .options, headers: other)
            try expectOpenAIError(refused, .forbidden, code: "origin_not_allowed")
        }
    }
}
