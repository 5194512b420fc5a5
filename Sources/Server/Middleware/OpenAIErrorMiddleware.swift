import Hummingbird
import Logging

/// Turns every error a route or Hummingbird throws (unknown route, body limit, anything unexpected)
/// into a response in OpenAI's error shape, so no request ends without one.
struct OpenAIErrorMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let error: OpenAIError
        do {
            return try await next(request, context)
        } catch let openAIError as OpenAIError {
            error = openAIError
        } catch let httpError as HTTPError {
            error = OpenAIError(httpError, request: request)
        } catch let responseError as any HTTPResponseError {
            error = OpenAIError(status: responseError.status, message: "\(responseError)")
        } catch let decodingError as DecodingError {
            error = OpenAIError(decodingError)
        } catch {
            context.logger.error("unexpected error: \(String(reflecting: error))")
            return try OpenAIError.internalError("The server had an error while processing your request.").response(from: request, context: context)
        }
        if error.status.kind == .serverError {
            context.logger.warning("\(error)")
        }
        return try error.response(from: request, context: context)
    }
}
