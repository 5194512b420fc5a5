import Foundation
import Testing
import TestSupport

/// `strata serve`'s configuration refuses what would be unsafe or surprising: an empty API key,
/// and says so where it serves the open network without one or clamps `--ctx`.
@Suite struct ServeConfigurationTests {
    @Test("an empty API key is refused, from the flag, the file or the environment")
    func emptyKeysAreRefused() throws {
        let r = try StrataProcess.run(["serve", "--api-key", ""])
        #expect(r.status != 0 && r.stderr.contains("--api-key is empty"), "\(r.stderr)")
        let file = Fixtures.temporaryPath("empty-key")
        try "\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { unlink(file) }
        let fromFile = try StrataProcess.run(["serve", "--model", "models/stories260K.gguf", "--api-key-file", file])
        #expect(fromFile.status != 0 && fromFile.stderr.contains("holds no key"), "\(fromFile.stderr)")
        let fromEnvironment = try StrataProcess.run(["serve", "--model", "models/stories260K.gguf"], environment: ["STRATA_API_KEY": " "])
        #expect(fromEnvironment.status != 0 && fromEnvironment.stderr.contains("STRATA_API_KEY is set but empty"), "\(fromEnvironment.stderr)")
        let both = try StrataProcess.run(["serve", "--api-key", "a", "--api-key-file", file])
        #expect(both.status != 0 && both.stderr.contains("not both"), "\(both.stderr)")
    }

    @Test("the key from a file or STRATA_API_KEY guards /v1 like --api-key")
    func keysFromFileAndEnvironment() async throws {
        let file = Fixtures.temporaryPath("key")
        try "file-secret\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { unlink(file) }
        for (arguments, environment, key) in [(["--api-key-file", file], [String: String](), "file-secret"),
                                             ([String](), ["STRATA_API_KEY": "env-secret"], "env-secret")] {
            let server = try await ServerProcess.start(arguments, environment: environment)
            defer { server.stop() }
            let (denied, _) = try await HTTP.get(server.baseURL + "/v1/models")
            #expect(denied == 401)
            let (allowed, body) = try await HTTP.get(server.baseURL + "/v1/models", headers: [("Authorization", "Bearer \(key)")])
            #expect(allowed == 200, "\(body)")
            #expect(!server.log.contains(key), "the key is never logged")
        }
    }

    @Test("serving beyond loopback without a key warns; --ctx past the model's context says what it uses")
    func warnings() async throws {
        let server = try await ServerProcess.start(["--host", "0.0.0.0", "--ctx", "100000"])
        defer { server.stop() }
        #expect(server.log.contains("serving on 0.0.0.0 without an API key"), "\(server.log)")
        #expect(server.log.contains("--ctx 100000 is more than the 2048 tokens the model was trained for: using 2048"), "\(server.log)")
        let loopback = try await ServerProcess.start([])
        defer { loopback.stop() }
        #expect(!loopback.log.contains("without an API key"))
    }
}
