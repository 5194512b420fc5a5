import Engine
import Testing
import TestSupport

/// Parsed metadata costs far more memory than its encoding (an enum per element), so a
/// file's arrays may hold at most a fixed number of elements in all: enough for the largest
/// real vocabularies, never the tens of gigabytes a hostile file could ask for.
@Suite struct GGUFMetadataLimitTests {
    /// A GGUF with no tensors and one u8 array of `count` elements, written by hand.
    static func fileWithByteArray(count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        put(GGUFFile.magic)
        put(UInt32(3))
        put(UInt64(0))  // tensors
        put(UInt64(1))  // metadata entries
        let key = Array("big".utf8)
        put(UInt64(key.count))
        bytes += key
        put(UInt32(9))  // array
        put(UInt32(0))  // of u8
        put(UInt64(count))
        bytes += repeatElement(7, count: count)
        return bytes
    }

    @Test func arraysBeyondTheElementLimitAreRefused() throws {
        let error = try withTemporaryFile("big-array.gguf", contents: Self.fileWithByteArray(count: (4 << 20) + 1)) { path in
            Result { () throws(ModelFileError) in try GGUFFile(path: path) }
        }
        guard case .failure(.absurdCount(let what, let count, let limit)) = error else {
            Issue.record("expected absurdCount, got \(error)")
            return
        }
        #expect(what.contains("big"))
        #expect(count == (4 << 20) + 1)
        #expect(limit == 4 << 20)
    }

    @Test func arraysWithinTheLimitParse() throws {
        let file = try withTemporaryFile("small-array.gguf", contents: Self.fileWithByteArray(count: 1000)) { path in
            try GGUFFile(path: path)
        }
        #expect(file.metadata["big"]?.array?.count == 1000)
    }
}
