/// Version string reported by the CLI and the server (`Server:` header).
public enum ServerInfo {
    public static let version = "0.1.0"
}
