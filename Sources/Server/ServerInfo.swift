/// The HTTP front end arrives with the serving issue; this module marks its place in the layering.
import Engine

/// Version string reported by the CLI and, later, the server.
public enum ServerInfo {
    public static let version = "0.1.0"
}
