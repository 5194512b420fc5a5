/// A value that exists only while a template renders: a macro, a built-in function, a
/// `namespace()`, the `loop` of a for loop, or a method not yet called (`message.items`).
/// Opaque outside the interpreter.
public struct JinjaRuntimeValue: Sendable, Equatable {
    enum Kind: Sendable {
        case function(JinjaFunction)
        case macro(JinjaMacro)
        /// An index into the render's namespaces: `set ns.x = ...` must change the one
        /// namespace every reference sees, so namespaces live in the evaluator, not in values.
        case namespace(Int)
        case loop(JinjaLoopState)
        indirect case method(receiver: JinjaValue, name: String)
    }

    let kind: Kind

    init(_ kind: Kind) { self.kind = kind }

    public static func == (a: JinjaRuntimeValue, b: JinjaRuntimeValue) -> Bool {
        switch (a.kind, b.kind) {
        case (.function(let x), .function(let y)): return x == y
        case (.macro(let x), .macro(let y)): return x.name == y.name && x.location == y.location
        case (.namespace(let x), .namespace(let y)): return x == y
        case (.loop(let x), .loop(let y)): return x.index0 == y.index0 && x.items == y.items
        case (.method(let r1, let n1), .method(let r2, let n2)): return n1 == n2 && r1 == r2
        default: return false
        }
    }

    /// How jinja2 names the value's type in messages.
    var typeName: String {
        switch kind {
        case .function: return "builtin_function"
        case .macro: return "macro"
        case .namespace: return "namespace"
        case .loop: return "loop"
        case .method: return "method"
        }
    }
}

/// The global functions templates may call.
enum JinjaFunction: String, Sendable, CaseIterable {
    /// `raise_exception(message)`: Hugging Face's way for a template to refuse a conversation.
    case raiseException = "raise_exception"
    /// `strftime_now(format)`: the current date and time, formatted (Hugging Face and llama.cpp).
    case strftimeNow = "strftime_now"
    /// `range([start,] stop[, step])`.
    case range
    /// `namespace(name=value, ...)`: an object whose attributes `set ns.x = ...` may change
    /// from inside loops.
    case namespace
    /// `dict(name=value, ...)`.
    case dict
}

/// The state behind `loop` in one iteration of a for loop.
struct JinjaLoopState: Sendable {
    /// The items iterated (after the loop's `if` filter).
    var items: [JinjaValue]
    var index0: Int
}
