import Foundation
import Memory
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Every way a path can fail to map ends in a typed `MemoryError` naming the path, never
/// a crash and never a mapping of the wrong thing.
@Suite struct MappedFileErrorTests {
    @Test func missingFileThrowsMissing() {
        let path = Fixtures.temporaryPath("does-not-exist")
        #expect(throws: MemoryError.missing(path: path)) { _ = try MappedFile(path: path) }
    }

    @Test func pathThroughARegularFileThrowsMissing() throws {
        try withTemporaryFile("not-a-directory", contents: [1, 2, 3]) { path in
            let child = path + "/child"
            #expect(throws: MemoryError.missing(path: child)) { _ = try MappedFile(path: child) }
        }
    }

    @Test func directoryThrowsUnreadable() throws {
        let path = Fixtures.temporaryPath("directory")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: MemoryError.unreadable(path: path, errno: EISDIR)) { _ = try MappedFile(path: path) }
    }

    /// `open` of a socket fails with ENXIO: an unreadable file that does not depend on
    /// permissions, which root would bypass.
    @Test func socketThrowsUnreadable() throws {
        let path = Fixtures.temporaryPath("socket")
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd); unlink(path) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        try #require(pathBytes.count < MemoryLayout.size(ofValue: address.sun_path))
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0)
        #expect(throws: MemoryError.unreadable(path: path, errno: ENXIO)) { _ = try MappedFile(path: path) }
    }

    @Test(.enabled(if: geteuid() != 0, "root reads a file whatever its mode"))
    func fileWithoutReadPermissionThrowsUnreadable() throws {
        try withTemporaryFile("mode-000", contents: [1, 2, 3, 4]) { path in
            try #require(chmod(path, 0) == 0)
            #expect(throws: MemoryError.unreadable(path: path, errno: EACCES)) { _ = try MappedFile(path: path) }
        }
    }

    /// A character device opens but is not a regular file: it must not be mapped.
    @Test func characterDeviceThrowsUnreadable() {
        #expect {
            _ = try MappedFile(path: "/dev/zero")
        } throws: { error in
            guard case .unreadable(let path, _) = error as? MemoryError else { return false }
            return path == "/dev/zero"
        }
    }

    @Test func emptyFileThrowsEmpty() throws {
        try withTemporaryFile("empty", contents: []) { path in
            #expect(throws: MemoryError.empty(path: path)) { _ = try MappedFile(path: path) }
            #expect(throws: MemoryError.empty(path: path)) { _ = try MappedFile(path: path, minimumSize: 0) }
        }
    }

    @Test(arguments: [(size: 1, minimum: 2), (size: 3, minimum: 4), (size: 27, minimum: 28), (size: 4096, minimum: 4097)])
    func fileShorterThanTheMinimumThrowsTooShort(size: Int, minimum: Int) throws {
        try withTemporaryFile("short", contents: [UInt8](repeating: 7, count: size)) { path in
            #expect(throws: MemoryError.tooShort(path: path, size: size, needed: minimum)) {
                _ = try MappedFile(path: path, minimumSize: minimum)
            }
        }
    }

    @Test func fileOfExactlyTheMinimumSizeMaps() throws {
        try withTemporaryFile("exact", contents: [9, 8, 7, 6]) { path in
            let file = try MappedFile(path: path, minimumSize: 4)
            #expect(file.size == 4)
        }
    }

    @Test func errorsDescribeThePathAndTheReason() {
        #expect(MemoryError.missing(path: "/x/y").description.contains("/x/y"))
        #expect(MemoryError.unreadable(path: "/d", errno: EISDIR).description.contains("errno \(EISDIR)"))
        #expect(MemoryError.tooShort(path: "/f", size: 3, needed: 4).description.contains("3 bytes"))
        #expect(MemoryError.empty(path: "/e").description.contains("/e"))
    }
}
