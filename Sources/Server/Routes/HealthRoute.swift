import Engine
import Hummingbird

/// `GET /health`: 200 `{"status":"ok"}` when the engine takes work; otherwise 503 with
/// `{"status":"loading"|"saturated"|"stopping"}` and `Retry-After`.
struct HealthRoute: Sendable {
    let backend: any ModelBackend

    private struct Status: Encodable { var status: String }

    func register(on router: Router<ServerRequestContext>) {
        router.get("health") { _, _ in
            let health = backend.health
            switch health {
            case .ready:
                return JSONCoding.response(Status(status: "ok"))
            case .saturated:
                return JSONCoding.response(Status(status: health.rawValue), status: .serviceUnavailable, headers: [.retryAfter: "1"])
            case .loading, .stopping:
                return JSONCoding.response(Status(status: health.rawValue), status: .serviceUnavailable, headers: [.retryAfter: "5"])
            }
        }
    }
}
