/// A place in a template's source: 1-based line and column (columns count Unicode scalars).
public struct JinjaSourceLocation: Sendable, Equatable, CustomStringConvertible {
    /// From 1.
    public var line: Int
    /// From 1, in Unicode scalars.
    public var column: Int

    /// A location at `line`, `column` (both from 1).
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "line \(line), column \(column)" }
}

/// Why a Jinja template could not be parsed or rendered. Every case says where, in the
/// template's own source.
public enum JinjaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text is not valid Jinja: an unclosed tag, a stray `endif`, a malformed expression.
    case syntax(String, JinjaSourceLocation)
    /// Valid Jinja that this interpreter does not implement (a tag, filter, test, function or
    /// method); the message names it.
    case unsupported(String, JinjaSourceLocation)
    /// Rendering failed: an operation on values of the wrong type, an attribute of an undefined
    /// variable, a macro recursing without end, ...
    case runtime(String, JinjaSourceLocation)
    /// The template called `raise_exception(message)`: it refuses the conversation, and the
    /// message is the template's own ("Conversation roles must alternate ...").
    case raised(String, JinjaSourceLocation)

    /// Where in the template the error arose.
    public var location: JinjaSourceLocation {
        switch self {
        case .syntax(_, let at), .unsupported(_, let at), .runtime(_, let at), .raised(_, let at): return at
        }
    }

    /// The message without the location.
    public var message: String {
        switch self {
        case .syntax(let m, _), .unsupported(let m, _), .runtime(let m, _), .raised(let m, _): return m
        }
    }

    public var description: String {
        switch self {
        case .syntax(let m, let at): return "chat template syntax error at \(at): \(m)"
        case .unsupported(let m, let at): return "chat template uses \(m) at \(at), which strata's Jinja interpreter does not support"
        case .runtime(let m, let at): return "chat template failed at \(at): \(m)"
        case .raised(let m, _): return m
        }
    }
}
