/// Paths to the committed model files the tests use (no downloads).
public enum Fixtures {
    /// The repository root, found from this source file's location.
    public static let repositoryRoot: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/TestSupport/Fixtures.swift
        return parts.joined(separator: "/")
    }()

    /// `models/<name>` in the repository.
    public static func model(_ name: String) -> String { repositoryRoot + "/models/" + name }

    /// A fresh path under the system temporary directory.
    public static func temporaryPath(_ name: String) -> String {
        "/tmp/strata-test-\(getpid())-\(counter.add())-\(name)"
    }

    private static let counter = Counter()
}

import Synchronization
#if canImport(Glibc)
import Glibc
#endif

final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    func add() -> Int { value.add(1, ordering: .relaxed).newValue }
}
