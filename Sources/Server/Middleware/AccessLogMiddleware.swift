import Hummingbird
import Logging

/// One log line per request (method, path, status, duration, tokens) and the
/// `strata_requests_total{endpoint,status}` count, both once the response body is written.
/// Successful probes (`/health`, `/metrics`) log at debug level, so that scrapes do not flood the log.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response = try await next(request, context)
        let record = Record(
            method: request.method, path: request.uri.path, status: response.status.code, start: start,
            endpointPath: context.coreContext.endpointPath, tokens: context.tokens, logger: context.logger, metrics: metrics)
        guard response.body.contentLength == nil else {
            record.log(outcome: nil)
            return response
        }
        // A streamed body: it is written after this returns, so log when it ends.
        let body = response.body
        response.body = ResponseBody { writer in
            do {
                try await body.write(writer)
                record.log(outcome: nil)
            } catch let error as OpenAIError where error.status.code == 499 {
                // Counted as 499 (nginx's "client closed request"), not as the 200 already sent.
                record.log(outcome: "the client went away", countedAs: 499)
                throw error
            } catch {
                // OpenAI errors carry their status; anything else came from writing to a
                // connection that is gone.
                record.log(outcome: "stream ended early: \(error)", countedAs: (error as? OpenAIError)?.status.code ?? 499)
                throw error
            }
        }
        return response
    }

    private struct Record: Sendable {
        let method: HTTPRequest.Method
        let path: String
        let status: Int
        let start: ContinuousClock.Instant
        let endpointPath: EndpointPath
        let tokens: TokenRecord
        let logger: Logger
        let metrics: ServerMetrics

        /// Logs the request and counts it under `countedAs` when its stream ended otherwise
        /// than its status says.
        func log(outcome: String?, countedAs counted: Int? = nil) {
            let elapsed = ContinuousClock.now - start
            let milliseconds = (Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15)
            var line = "\(method) \(path) \(status) \((milliseconds * 10).rounded() / 10)ms"
            if tokens.prompt > 0 || tokens.completion > 0 {
                line += " prompt_tokens=\(tokens.prompt) completion_tokens=\(tokens.completion)"
            }
            if let outcome { line += " (\(outcome))" }
            let probe = status < 400 && (path == "/health" || path == "/metrics")
            logger.log(level: probe ? .debug : .info, "\(line)")
            let route = endpointPath.value.flatMap { $0 == "NotFound" ? nil : $0 }
            metrics.recordRequest(endpoint: route ?? "unmatched", status: counted ?? status)
        }
    }
}
