/// Outputs of implementations nobody here wrote, for the committed models.
public enum References {
    /// llama2.c `run stories260K.bin -z tok512.bin -t 0.0 -n 200` (its `test_all.py`),
    /// stored in `models/stories260K.greedy.txt` without the final newline run.c prints.
    public static func stories260KGreedy() throws -> String {
        try readText(Fixtures.model("stories260K.greedy.txt"))
    }

    /// Position-0 (after BOS) logits of stories260K from an independent float64
    /// implementation (../shared/models/README.md): top-5 (id, logit), mean, std.
    public static let stories260KTop5: [(id: Int, logit: Float)] = [
        (403, 17.0235), (385, 15.4062), (410, 13.1083), (317, 12.7692), (407, 12.4181),
    ]
    public static let stories260KLogitMean = -2.09018
    public static let stories260KLogitStd = 5.26174

    /// A whole file as UTF-8 text.
    public static func readText(_ path: String) throws -> String {
        guard let f = fopen(path, "rb") else { throw FixtureError.unreadable(path) }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A fixture that could not be read.
public enum FixtureError: Error {
    case unreadable(String)
}

#if canImport(Glibc)
import Glibc
#endif
