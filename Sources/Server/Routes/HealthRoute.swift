import Engine
import Hummingbird

/// `GET /health`: 200 `{"status":"ok"}` when the engine takes work; otherwise 503 with
/// `{"status":"loading"|"saturated"|"stopping"}` and `Retry-After`. `HEAD /health` answers the
/// same status without the body.
struct HealthRoute: Sendable {
    let backend: any ModelBackend

    private struct Status: Encodable { var status: String }

    func register(on router: Router<ServerRequestContext>) {
        router.get("health") { _, _ in response() }
        // HEAD: the same status and headers, no body (load balancers probe with it).
        router.head("health") { _, _ in
            let full = response()
            return Response(status: full.status, headers: full.headers)
        }
    }

    private func response() -> Response {
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
