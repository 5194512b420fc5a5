import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Engine
import Server
import Testing

/// Builds the server around a backend and runs `test` against it, in process (`.router`) or over a
/// real loopback socket on an ephemeral port (`.live`).
func withServer(
    _ backend: MockBackend,
    _ setup: TestingSetup = .router,
    configure: (inout ServerConfiguration) -> Void = { _ in },
    _ test: @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    try await withServer(serving: .completion(backend), setup, configure: configure, test)
}

/// Builds the server around an embedding backend and runs `test` against it (in process).
func withEmbeddingServer(
    _ backend: any EmbeddingBackend,
    configure: (inout ServerConfiguration) -> Void = { _ in },
    _ test: @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    try await withServer(serving: .embedding(backend), .router, configure: configure, test)
}

func withServer(
    serving model: ServedModel,
    _ setup: TestingSetup,
    configure: (inout ServerConfiguration) -> Void,
    _ test: @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    var configuration = ServerConfiguration()
    configuration.port = 0
    configure(&configuration)
    var logger = Logger(label: "strata.server.tests")
    // STRATA_TEST_LOG_LEVEL=info shows the access log.
    logger.logLevel = ProcessInfo.processInfo.environment["STRATA_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
    let app = StrataServer.makeApplication(model: model, configuration: configuration, logger: logger)
    try await app.test(setup, test)
}

/// JSON bodies and their checks.
enum JSON {
    static func body(_ object: [String: Any]) -> ByteBuffer {
        ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object))
    }

    static let headers: HTTPFields = [.contentType: "application/json"]

    /// The body as a JSON object; fails the test if it is not one.
    static func object(_ buffer: ByteBuffer, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView), options: [.fragmentsAllowed])
        return try #require(value as? [String: Any], "not a JSON object: \(String(buffer: buffer))", sourceLocation: sourceLocation)
    }
}

extension TestClientProtocol {
    /// POSTs `object` as JSON.
    func post(_ uri: String, _ object: [String: Any], headers: HTTPFields = [:]) async throws -> TestResponse {
        var allHeaders = JSON.headers
        allHeaders.append(contentsOf: headers)
        return try await execute(uri: uri, method: .post, headers: allHeaders, body: JSON.body(object))
    }

    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: headers)
    }
}

/// Checks that `response` is an OpenAI error with `status`, and returns its `error` object.
@discardableResult
func expectOpenAIError(
    _ response: TestResponse, _ status: HTTPResponse.Status, code: String? = nil, param: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> [String: Any] {
    #expect(response.status == status, "body: \(String(buffer: response.body))", sourceLocation: sourceLocation)
    #expect(response.headers[.contentType] == "application/json", sourceLocation: sourceLocation)
    let body = try JSON.object(response.body, sourceLocation: sourceLocation)
    let error = try #require(body["error"] as? [String: Any], sourceLocation: sourceLocation)
    #expect(Set(error.keys) == ["message", "type", "param", "code"], sourceLocation: sourceLocation)
    let message = try #require(error["message"] as? String, sourceLocation: sourceLocation)
    #expect(!message.isEmpty, sourceLocation: sourceLocation)
    #expect(error["type"] is String, sourceLocation: sourceLocation)
    if let code { #expect(error["code"] as? String == code, "error: \(error)", sourceLocation: sourceLocation) }
    if let param { #expect(error["param"] as? String == param, "error: \(error)", sourceLocation: sourceLocation) }
    return error
}

/// Server-sent events: the `data:` payloads of a stream body, in order.
func sseEvents(_ body: ByteBuffer, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
    let text = String(buffer: body)
    #expect(text.hasSuffix("\n\n"), "every event ends with a blank line", sourceLocation: sourceLocation)
    return text.split(separator: "\n\n", omittingEmptySubsequences: true).map { event in
        #expect(event.hasPrefix("data: "), "event: \(event)", sourceLocation: sourceLocation)
        return String(event.dropFirst("data: ".count))
    }
}

/// The JSON events of a stream, after checking it ends with `[DONE]`.
func sseJSONEvents(_ body: ByteBuffer, sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
    let events = sseEvents(body, sourceLocation: sourceLocation)
    #expect(events.last == "[DONE]", sourceLocation: sourceLocation)
    return try events.dropLast().map { try JSON.object(ByteBuffer(string: $0), sourceLocation: sourceLocation) }
}

