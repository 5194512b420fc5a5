import Foundation

/// Writes `contents` to a fresh temporary file, runs `body` with its path, then deletes it.
@discardableResult
public func withTemporaryFile<R>(_ name: String, contents: some Collection<UInt8>, _ body: (String) throws -> R) throws -> R {
    let path = Fixtures.temporaryPath(name)
    try Data(contents).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}
