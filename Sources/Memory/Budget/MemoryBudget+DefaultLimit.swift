#if canImport(Glibc)
import Glibc
#endif

extension MemoryBudget {
    /// The budget to use when the operator gives none: half of physical RAM, or within a cgroup
    /// memory limit set below it, what the limit leaves after `weightBytes` (mapped weights count
    /// against a cgroup too) and `cgroupHeadroom(limit:)` for everything outside the budget
    /// (runtime, threads, HTTP buffers): the budget must never push the process into the OOM
    /// killer. At least an eighth of the limit.
    public static func defaultLimit(weightBytes: Int = 0) -> Int {
        let physical = physicalMemoryBytes
        if let limit = cgroupMemoryLimit(), limit < physical {
            return max(limit / 8, limit - weightBytes - cgroupHeadroom(limit: limit))
        }
        return max(1, physical / 2)
    }

    /// What a cgroup limit keeps outside the default budget: a tenth of it, at least 128 MiB.
    public static func cgroupHeadroom(limit: Int) -> Int { max(128 << 20, limit / 10) }

    /// Physical RAM in bytes (`sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE)`).
    public static var physicalMemoryBytes: Int {
        Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// The memory limit of the cgroup listed in `cgroupFile`: cgroup v2 `memory.max`
    /// (`"max"` means none), or cgroup v1 `memory.limit_in_bytes` under `<mountPoint>/memory`.
    /// The tightest limit of the cgroup and its ancestors up to `mountPoint`; nil when
    /// none is set or the files are absent.
    ///
    /// - Parameters:
    ///   - cgroupFile: the process's cgroup membership, as in `/proc/self/cgroup`.
    ///   - mountPoint: where the cgroup file system is mounted.
    public static func cgroupMemoryLimit(cgroupFile: String = "/proc/self/cgroup",
                                         mountPoint: String = "/sys/fs/cgroup") -> Int? {
        guard let membership = SystemFiles.readText(cgroupFile) else { return nil }
        var unified: String?
        var legacy: String?
        for line in membership.split(separator: "\n") {
            // hierarchy-ID:controller-list:cgroup-path
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            if fields[0] == "0" && fields[1].isEmpty {
                unified = String(fields[2])
            } else if fields[1].split(separator: ",").contains("memory") {
                legacy = String(fields[2])
            }
        }
        if let path = unified, let limit = tightestLimit(root: mountPoint, path: path, file: "memory.max") {
            return limit
        }
        if let path = legacy {
            return tightestLimit(root: mountPoint + "/memory", path: path, file: "memory.limit_in_bytes")
        }
        return nil
    }

    /// The smallest numeric limit in `file` of `root + path` and each ancestor up to `root`.
    private static func tightestLimit(root: String, path: String, file: String) -> Int? {
        var components = path.split(separator: "/").map(String.init)
        var tightest: Int?
        while true {
            let directory = ([root] + components).joined(separator: "/")
            if let text = SystemFiles.readText(directory + "/" + file),
               let value = Int(text.filter { !$0.isWhitespace }), value > 0 {
                tightest = min(tightest ?? value, value)
            }
            if components.isEmpty { return tightest }
            components.removeLast()
        }
    }
}
