#if canImport(Glibc)
import Glibc
#endif

/// The fuzz input as a file, for parsers that open a path (`GGUFFile(path:)` maps it as it
/// maps a model): a POSIX shared-memory object (RAM, never disk), unlinked as soon as it is
/// open, rewritten for every input and opened again as `/proc/self/fd/N`.
public final class MemoryFile {
    /// `/proc/self/fd/N`: opening it opens this file.
    public let path: String
    private let fd: Int32

    /// A new empty file; `name` only has to be unique while it is created.
    public init(_ name: String) {
        let shmName = "/strata-fuzz-\(name)-\(getpid())"
        let fd = shm_open(shmName, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        precondition(fd >= 0, "shm_open \(shmName): errno \(errno)")
        shm_unlink(shmName)
        self.fd = fd
        self.path = "/proc/self/fd/\(fd)"
    }

    deinit { close(fd) }

    /// Replaces the file's contents with `size` bytes at `data`.
    public func write(_ data: UnsafePointer<UInt8>, _ size: Int) {
        precondition(ftruncate(fd, 0) == 0, "ftruncate: errno \(errno)")
        var done = 0
        while done < size {
            let n = pwrite(fd, data + done, size - done, off_t(done))
            precondition(n > 0 || errno == EINTR, "pwrite: errno \(errno)")
            if n > 0 { done += n }
        }
    }

    /// One fuzz input for a parser that opens a path: writes the input to this file and runs
    /// `body` on its path. A thrown error is the expected refusal; its message is built as a
    /// user would see it, so a fault in building the message is found too.
    public func run(_ data: UnsafePointer<UInt8>, _ size: Int, _ body: (String) throws -> Void) -> CInt {
        write(data, size)
        do {
            try body(path)
        } catch {
            _ = String(describing: error)
        }
        return 0
    }
}

/// The input as text, as a server or a loader gets it: invalid UTF-8 repaired with U+FFFD.
public func text(_ data: UnsafePointer<UInt8>, _ size: Int) -> String {
    String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
}

/// What the tokenizer targets encode with every vocabulary they manage to build: words,
/// digits, spacing runs, accents, CJK, an emoji, and the texts of common special tokens.
public let sampleText = "Hello, world! It's 2024: 1234567 tokens.\n\n  <s>[INST] héllo wörld [/INST]</s>"
    + "<|im_start|>user\n中文 テスト 🙂\t\r\n<|im_end|> [CLS] unaffable ##ing [SEP] <unk> \u{0}\u{7f}"

/// A short conversation for the chat template targets.
public let sampleMessages: [(role: String, content: String)] = [
    ("system", "You are terse."), ("user", "Hi <|im_end|> {{ x }}"), ("assistant", "Hello."), ("user", "Bye"),
]
