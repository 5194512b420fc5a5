import Engine
import Hummingbird

/// `GET /metrics`: Prometheus text, with the engine's gauges read at each scrape.
struct MetricsRoute: Sendable {
    let backend: any ModelBackend
    let metrics: ServerMetrics

    func register(on router: Router<ServerRequestContext>) {
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: metrics.render(backend.snapshot())))
        }
    }
}
