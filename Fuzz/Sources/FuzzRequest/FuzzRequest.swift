#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Engine
import FuzzSupport
@testable import Server

// A JSON request body as the routes decode it (`Request.decodeJSONBody`): as each of
// `/v1/chat/completions`, `/v1/completions` and `/v1/embeddings`; a decoded request then goes
// through the checks the route makes (length, sampling ranges), a refused one becomes its 400
// body. Every refusal must be an `OpenAIError`. (`@testable`: the request types are internal;
// fuzz.sh builds with -enable-testing.)

private let decoder = JSONCoding.makeDecoder()
private let encoder = JSONCoding.makeEncoder()

/// `body` decoded as `T`, or the error a client would get, as `decodeJSONBody` maps it.
private func decode<T: Decodable>(_: T.Type, _ body: Data) -> Result<T, OpenAIError> {
    do {
        return .success(try decoder.decode(T.self, from: body))
    } catch let error as OpenAIError {
        return .failure(error)
    } catch let error as DecodingError {
        return .failure(OpenAIError(error))
    } catch {
        return .failure(OpenAIError(status: .badRequest, message: "The request body could not be decoded: \(error).", code: "invalid_json"))
    }
}

/// The route's checks after decoding: the completion length against a 2048-token context with
/// a 16-token prompt, then the sampling ranges (token ids against a 32,000-token vocabulary).
private func check(maxTokens: Int?, param: String, sampling: SamplingFields) -> OpenAIError? {
    do throws(OpenAIError) {
        let length = try CompletionLength.resolve(requested: maxTokens, defaultTokens: .max, promptTokens: 16, contextLength: 2048, param: param)
        _ = try sampling.completionParameters(maxTokens: length, vocabularySize: 32000)
        return nil
    } catch {
        return error
    }
}

/// The 400 body a client gets; it must always encode.
private func respond(_ error: OpenAIError?) {
    guard let error else { return }
    _ = try! encoder.encode(error.body)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Data(bytes: data, count: size)
    switch decode(ChatCompletionRequest.self, body) {
    case .success(let request):
        respond(check(maxTokens: request.maxTokens, param: request.maxTokensParam, sampling: request.sampling))
        _ = try? ChatTemplate.chatML().render(request.messages)
    case .failure(let error):
        respond(error)
    }
    switch decode(CompletionRequest.self, body) {
    case .success(let request): respond(check(maxTokens: request.maxTokens, param: "max_tokens", sampling: request.sampling))
    case .failure(let error): respond(error)
    }
    switch decode(EmbeddingRequest.self, body) {
    case .success(let request): _ = (request.input.count, request.encodingFormat, request.dimensions)
    case .failure(let error): respond(error)
    }
    return 0
}
