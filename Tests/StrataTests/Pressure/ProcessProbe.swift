import Foundation

/// What `/proc` says about a running process: resident memory, open descriptors, CPU time.
struct ProcessProbe {
    let pid: Int32

    /// Peak resident set size (`VmHWM`), bytes.
    var peakResidentBytes: Int { statusKilobytes("VmHWM:") * 1024 }

    /// Resident set size now (`VmRSS`), bytes.
    var residentBytes: Int { statusKilobytes("VmRSS:") * 1024 }

    /// Open file descriptors, and of those, sockets.
    var descriptors: (all: Int, sockets: Int) {
        let kinds = descriptorKinds
        return (kinds.values.reduce(0, +), kinds["socket"] ?? 0)
    }

    /// What each open descriptor is ("socket", "pipe", "anon_inode:[eventfd]", a path), counted:
    /// where a count differs from a baseline, this says which kind stayed open.
    var descriptorKinds: [String: Int] {
        let dir = "/proc/\(pid)/fd"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        var kinds: [String: Int] = [:]
        for name in names {
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: dir + "/" + name)) ?? "?"
            // socket:[12345] and pipe:[678] by kind; paths and anon inodes as they are.
            let kind = target.hasPrefix("socket:") || target.hasPrefix("pipe:") ? String(target.prefix { $0 != ":" }) : target
            kinds[kind, default: 0] += 1
        }
        return kinds
    }

    /// User plus system CPU time the process has used, seconds.
    var cpuSeconds: Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        // Fields after the command name: state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    private func statusKilobytes(_ field: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix(field) {
            return Int(line.dropFirst(field.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") ?? 0
        }
        return 0
    }
}
