import Foundation
import Memory
import Testing
import TestSupport

/// The mapping shows exactly the file's bytes, and its paging calls (madvise, mincore,
/// mlock) work on it.
@Suite struct MappedFileMappingTests {
    /// Sizes around page boundaries and one spanning many pages.
    static let sizes = [1, 7, 4095, 4096, 4097, 65_537, 1 << 20]

    @Test(arguments: sizes)
    func mappedBytesEqualTheFileBytes(size: Int) throws {
        let contents = deterministicBytes(count: size, seed: UInt64(size))
        try withTemporaryFile("bytes", contents: contents) { path in
            let file = try MappedFile(path: path)
            #expect(file.path == path)
            #expect(file.size == size)
            #expect(Array(file.unsafeBytes) == contents)
            file.withUnsafeBytes { bytes in
                #expect(bytes.baseAddress == file.unsafeBytes.baseAddress)
                #expect(bytes.count == size)
            }
        }
    }

    @Test func mappingIsPageAligned() throws {
        try withTemporaryFile("aligned", contents: [1, 2, 3]) { path in
            let file = try MappedFile(path: path)
            let address = Int(bitPattern: file.unsafeBytes.baseAddress)
            #expect(address % Syscalls.pageSize == 0)
        }
    }

    @Test(arguments: [MappedFile.Access.sequential, .random, .willNeed, .normal])
    func adviseAcceptsEveryAccessPattern(access: MappedFile.Access) throws {
        let contents = deterministicBytes(count: 3 * 4096 + 5, seed: 11)
        try withTemporaryFile("advise", contents: contents) { path in
            let file = try MappedFile(path: path)
            try file.advise(access)
            #expect(Array(file.unsafeBytes) == contents)
        }
    }

    @Test(arguments: sizes)
    func residentBytesNeverExceedTheSizeAndCoverTouchedPages(size: Int) throws {
        let contents = deterministicBytes(count: size, seed: 3)
        try withTemporaryFile("resident", contents: contents) { path in
            let file = try MappedFile(path: path)
            let before = try file.residentBytes()
            #expect(before >= 0 && before <= size)
            // Touch one byte per page: every page is then resident.
            var sum = 0
            let bytes = file.unsafeBytes
            for offset in stride(from: 0, to: size, by: Syscalls.pageSize) { sum &+= Int(bytes[offset]) }
            sum &+= Int(bytes[size - 1])
            #expect(sum >= 0)
            #expect(try file.residentBytes() == size)
        }
    }

    @Test func lockedFileIsWhollyResident() throws {
        let contents = deterministicBytes(count: 5 * 4096 + 1, seed: 5)
        try withTemporaryFile("locked", contents: contents) { path in
            let file = try MappedFile(path: path)
            try file.lock()
            try file.lock()  // a second lock is a no-op
            #expect(try file.residentBytes() == file.size)
            #expect(Array(file.unsafeBytes) == contents)
        }
    }

    /// The mapping is private and outlives the file's name: deleting the file after
    /// mapping must not change or invalidate what is mapped.
    @Test func mappingSurvivesUnlinkingTheFile() throws {
        let contents = deterministicBytes(count: 10_000, seed: 17)
        let path = Fixtures.temporaryPath("unlinked")
        try Data(contents).write(to: URL(fileURLWithPath: path))
        let file = try MappedFile(path: path)
        try FileManager.default.removeItem(atPath: path)
        #expect(Array(file.unsafeBytes) == contents)
    }
}
