/// A one-line progress bar on a terminal; a line per tenth in a log.
final class ProgressBar {
    let label: String
    private let describe: (Int, Int) -> String
    private var lastTenth = -1

    /// A bar for `label`; `describe` words done of total (tensors by default).
    init(label: String, describe: @escaping (Int, Int) -> String = { "\($0)/\($1) tensors" }) {
        self.label = label
        self.describe = describe
    }

    func update(_ done: Int, _ total: Int) {
        guard total > 0 else { return }
        if Console.stderrIsTerminal {
            let width = 30
            let filled = done * width / total
            Console.err("\r\(label) [\(String(repeating: "#", count: filled))\(String(repeating: " ", count: width - filled))] \(describe(done, total))")
        } else if done * 10 / total != lastTenth {
            lastTenth = done * 10 / total
            Console.err("\(label): \(describe(done, total))\n")
        }
    }

    func finish() {
        if Console.stderrIsTerminal { Console.err("\n") }
    }
}
