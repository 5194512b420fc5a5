import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport

/// A real `strata serve` process on a loopback port, for end-to-end tests.
final class ServerProcess: @unchecked Sendable {
    let process: Process
    let port: Int
    let baseURL: String
    private let logPath: String

    enum ServerError: Error { case didNotStart(log: String) }

    private init(process: Process, port: Int, logPath: String) {
        self.process = process
        self.port = port
        self.baseURL = "http://127.0.0.1:\(port)"
        self.logPath = logPath
    }

    /// Starts `strata serve --port P <arguments>` on a free loopback port and waits until
    /// /health answers 200. Without `--model` in `arguments` it serves stories260K (the tiny
    /// model the tests are written for), not the CLI's default.
    /// With `cgroup` (a cgroup directory), the server is moved into it before it starts.
    static func start(_ arguments: [String] = [], environment: [String: String] = [:], cgroup: String? = nil) async throws -> ServerProcess {
        let arguments = arguments.contains("--model") ? arguments : ["--model", Fixtures.model("stories260K.gguf")] + arguments
        var log = ""
        for _ in 0..<5 {
            let port = Int.random(in: 20000..<60000)
            let logPath = Fixtures.temporaryPath("server-\(port).log")
            FileManager.default.createFile(atPath: logPath, contents: nil)
            let p = Process()
            let serve = ["serve", "--port", "\(port)", "--threads", "2"] + arguments
            if let cgroup {
                // The shell joins the cgroup, then becomes the server: every byte it ever maps is charged there.
                p.executableURL = URL(fileURLWithPath: "/bin/sh")
                p.arguments = ["-c", #"echo $$ > "$0/cgroup.procs" && exec "$@""#, cgroup, StrataProcess.executable] + serve
            } else {
                p.executableURL = URL(fileURLWithPath: StrataProcess.executable)
                p.arguments = serve
            }
            p.currentDirectoryURL = URL(fileURLWithPath: Fixtures.repositoryRoot)
            if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
            p.standardOutput = handle
            p.standardError = handle
            p.standardInput = FileHandle.nullDevice
            try p.run()
            if await waitHealthy(port: port, process: p) {
                return ServerProcess(process: p, port: port, logPath: logPath)
            }
            if p.isRunning { p.terminate() }
            p.waitUntilExit()
            log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        }
        throw ServerError.didNotStart(log: log)
    }

    private static func waitHealthy(port: Int, process: Process) async -> Bool {
        for _ in 0..<600 {
            guard process.isRunning else { return false }
            if let (status, _) = try? await HTTP.get("http://127.0.0.1:\(port)/health"), status == 200 { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// `/proc`'s view of the server process.
    var probe: ProcessProbe { ProcessProbe(pid: process.processIdentifier) }

    /// The server's log so far.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Sends SIGTERM and waits for a graceful exit; returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}

/// Small HTTP helpers over AsyncHTTPClient's shared client.
enum HTTP {
    static func get(_ url: String, headers: [(String, String)] = []) async throws -> (Int, String) {
        try await send(url, method: .GET, body: nil, headers: headers)
    }

    static func post(_ url: String, json: String, headers: [(String, String)] = []) async throws -> (Int, String) {
        try await send(url, method: .POST, body: json, headers: [("Content-Type", "application/json")] + headers)
    }

    static func send(_ url: String, method: HTTPMethod, body: String?, headers: [(String, String)]) async throws -> (Int, String) {
        let (status, _, text) = try await exchange(url, method: method, body: body, headers: headers, json: false)
        return (status, text)
    }

    /// A client that opens as many connections as it has requests (the shared one keeps a few
    /// per host and queues the rest): for floods. Never shut down; it lives as long as the tests.
    static let wide: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(5), concurrentHTTP1ConnectionsPerHostSoftLimit: 1000)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// The status, headers and body of one request (on `client`, by default the shared one).
    static func exchange(_ url: String, method: HTTPMethod = .POST, body: String?, headers: [(String, String)] = [],
                         json: Bool = true, client: HTTPClient = .shared) async throws -> (Int, HTTPHeaders, String) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if json && body != nil { request.headers.add(name: "Content-Type", value: "application/json") }
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(120))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), response.headers, String(buffer: bytes))
    }
}
