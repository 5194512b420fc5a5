import Foundation

/// The sanitizer the suite runs under, for the few tests that cannot run under one.
/// `make sanitize` sets `STRATA_SANITIZER` (`address` or `thread`) beside `--sanitize=`.
public enum Sanitizer {
    /// `address`, `thread`, or nil outside `make sanitize`.
    public static let name: String? = ProcessInfo.processInfo.environment["STRATA_SANITIZER"]

    /// True outside a sanitizer run.
    public static var isOff: Bool { name == nil }

    /// Why a test that measures heap bytes through `AllocatorStatistics` is skipped: both
    /// sanitizers intercept malloc and free, so jemalloc is no longer the process allocator
    /// and its counters see none of Swift's allocations (an allocation-free check would
    /// pass vacuously, a counting one would fail).
    public static let replacesAllocator =
        "under a sanitizer malloc is the sanitizer's, not jemalloc's, so jemalloc's counters see no allocations"
}
