import ArgumentParser
import Foundation

/// Where `strata serve` takes its API key: `--api-key`, `--api-key-file` (kept out of `ps`), or
/// `STRATA_API_KEY`, in that order. An empty key is refused rather than taken as no key.
struct APIKeyOptions: ParsableArguments {
    @Option(name: .customLong("api-key"), help: "Require this Bearer token on /v1 routes (visible in ps: prefer --api-key-file or STRATA_API_KEY).")
    var apiKey: String?

    @Option(name: .customLong("api-key-file"), help: "Read the Bearer token from this file (surrounding whitespace ignored).")
    var apiKeyFile: String?

    func validate() throws {
        if apiKey != nil, apiKeyFile != nil { throw ValidationError("give --api-key or --api-key-file, not both") }
        if let apiKey, apiKey.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw ValidationError("--api-key is empty: give a key, or leave the option out to serve without one")
        }
    }

    /// The key to require, or nil for none.
    func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        if let apiKey { return apiKey }
        if let apiKeyFile {
            guard let text = try? String(contentsOfFile: apiKeyFile, encoding: .utf8) else {
                throw ValidationError("--api-key-file \(apiKeyFile) cannot be read")
            }
            let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !key.isEmpty else { throw ValidationError("--api-key-file \(apiKeyFile) holds no key") }
            return key
        }
        if let key = environment["STRATA_API_KEY"] {
            let trimmed = key.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { throw ValidationError("STRATA_API_KEY is set but empty: give a key, or unset it") }
            return trimmed
        }
        return nil
    }
}
