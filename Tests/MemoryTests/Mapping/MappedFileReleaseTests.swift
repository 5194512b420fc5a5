import Foundation
import Memory
import Testing
import TestSupport

/// `MappedFile.release`: the pages wholly inside a range leave the process's resident memory
/// (read from /proc/self/smaps for the mapping) and read back unchanged afterwards.
@Suite struct MappedFileReleaseTests {
    /// Rss of the mapping that starts at `base`, in bytes, from /proc/self/smaps.
    static func residentBytes(of base: UnsafeRawPointer) -> Int {
        // Read as a stream: /proc files report size 0.
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/smaps") else { return -1 }
        defer { try? handle.close() }
        let smaps = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        let start = UInt(bitPattern: base)
        var inMapping = false
        for line in smaps.split(separator: "\n") {
            if let dash = line.firstIndex(of: "-"), let low = UInt(line[..<dash], radix: 16), line.contains(" ") {
                let high = UInt(line[line.index(after: dash)...].prefix { $0 != " " }, radix: 16) ?? 0
                inMapping = low <= start && start < high
            } else if inMapping, line.hasPrefix("Rss:") {
                let kib = Int(line.dropFirst(4).trimmingCharacters(in: .whitespaces).split(separator: " ")[0]) ?? -1
                return kib * 1024
            }
        }
        return -1
    }

    @Test func releasedPagesLeaveResidentMemoryAndReadBack() throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let size = 256 * page + 100
        let contents = deterministicBytes(count: size, seed: 42)
        try withTemporaryFile("release", contents: contents) { path in
            let file = try MappedFile(path: path)
            var sum = 0
            for i in stride(from: 0, to: size, by: page) { sum &+= Int(file.unsafeBytes[i]) }  // touch every page
            let base = file.unsafeBytes.baseAddress!
            let before = Self.residentBytes(of: base)
            #expect(before >= 256 * page, "resident before: \(before) (sum \(sum))")

            // From the middle of page 2 to the middle of page 150: pages 3 ..< 150 go.
            let released = try file.release((2 * page + 10)..<(150 * page + 7))
            #expect(released == 147 * page)
            let after = Self.residentBytes(of: base)
            #expect(before - after == released, "resident \(before) -> \(after)")

            // Up to the end of the file: the last, partial page goes too.
            #expect(try file.release((200 * page)..<size) == size - 200 * page)
            #expect(try file.release(5..<(page - 1)) == 0, "no page lies wholly inside")
            #expect(Array(file.unsafeBytes) == contents)
        }
    }
}
