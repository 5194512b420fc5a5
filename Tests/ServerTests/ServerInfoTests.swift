import Server
import Testing

@Suite struct ServerInfoTests {
    @Test("the version is a three-part semantic version")
    func version() {
        let parts = ServerInfo.version.split(separator: ".")
        #expect(parts.count == 3)
        #expect(parts.allSatisfy { Int($0) != nil })
    }
}
