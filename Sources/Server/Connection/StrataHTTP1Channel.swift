import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1 child channel, with `HTTP1ProtocolHandler` where it can still see the
/// HTTP version and the parser's errors (between NIO's HTTP codec and the conversion to
/// HTTPTypes, which drops both).
struct StrataHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let idleTimeout: Duration
    /// The decoder's limit on the header section (NIO's `maxHeaderListSize`): past it, 431.
    let maxHeaderBytes: Int

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderFieldSize = maxHeaderBytes
            limits.maxHeaderListSize = maxHeaderBytes
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(), withDecoderLimitConfiguration: limits)
            try channel.pipeline.syncOperations.addHandler(HTTP1ProtocolHandler())
            try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(idleTimeout: idleTimeout, logger: logger))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value asyncChannel: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }
}

/// What RFC 9112 asks of the server that NIO and Hummingbird leave out:
/// - an HTTP/1.0 request without `Connection: keep-alive` gets `Connection: close` added before
///   the router sees it, so the connection closes after its response instead of at the idle timeout;
/// - a response that says `Connection: close` closes the connection once it is written (a 413
///   or 408 whose body was not read stayed open until the idle timeout, waiting for the rest);
/// - a request the parser refuses gets an OpenAI error body and `Connection: close`: 431 for a
///   header section over the limit, 400 for anything else malformed (Hummingbird answered an
///   empty 400).
final class HTTP1ProtocolHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Whether a response is under way (a parse error then can only close the connection).
    private var responding = false
    /// Whether the response under way said `Connection: close`.
    private var closeAfterResponse = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var part = unwrapInboundIn(data)
        if case .head(var head) = part, head.version.major == 1, head.version.minor == 0, !head.isKeepAlive {
            head.headers.replaceOrAdd(name: "connection", value: "close")
            part = .head(head)
        }
        context.fireChannelRead(wrapInboundOut(part))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            responding = true
            closeAfterResponse = head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "close" }
        case .end:
            responding = false
            if closeAfterResponse {
                let written = promise ?? context.eventLoop.makePromise()
                written.futureResult.whenComplete { _ in context.close(promise: nil) }
                context.write(data, promise: written)
                return
            }
        case .body:
            break
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        guard !responding else {
            context.close(promise: nil)
            return
        }
        let refusal: OpenAIError = switch parseError {
        case .headerOverflow:
            OpenAIError(status: .init(code: 431, reasonPhrase: "Request Header Fields Too Large"),
                        message: "The request's header section is too large.", code: "request_header_fields_too_large")
        default:
            OpenAIError(status: .badRequest, message: "The request is not valid HTTP/1.1 (\(parseError)).", code: "invalid_http")
        }
        let body = refusal.jsonBody
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: "\(body.readableBytes)")
        headers.add(name: "connection", value: "close")
        let head = HTTPResponseHead(version: .http1_1, status: .init(statusCode: refusal.status.code, reasonPhrase: refusal.status.reasonPhrase),
                                    headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}
