// TEMPORARY: signatures of the Server API being written on the `server` branch; removed at merge.
import Engine
import Hummingbird
import Logging

public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1", port = 8080
    public var apiKey: String? = nil
    public var maxBodyBytes = 1 << 20
    public init() {}
}
public enum StrataServer {
    public static func makeApplication(backend: any CompletionBackend, configuration: ServerConfiguration, logger: Logger) -> some ApplicationProtocol {
        let router = Router()
        return Application(router: router, configuration: .init(address: .hostname(configuration.host, port: configuration.port)), logger: logger)
    }
}
