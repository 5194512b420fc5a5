/// A Jinja template, parsed once and rendered any number of times: the subset of jinja2 that
/// chat templates use (statements `if`, `for`, `set`, `macro`, `break`/`continue`; filters,
/// tests, string and dict methods; `namespace()`, `range()`, `raise_exception()`,
/// `strftime_now()`), with whitespace handled as Hugging Face renders chat templates
/// (`trim_blocks` and `lstrip_blocks`).
///
/// Anything outside the subset fails at `init` with `JinjaError.unsupported`, never at render.
public struct JinjaTemplate: Sendable {
    /// The template's text.
    public let source: String
    let nodes: [JinjaNode]

    /// Parses `source`.
    public init(_ source: String) throws(JinjaError) {
        self.source = source
        self.nodes = try JinjaParser.parse(source)
    }

    /// The text the template renders with `context` as its variables; `now` is the date
    /// `strftime_now` formats.
    ///
    /// - Complexity: Linear in the output and the work the template does; the output is built
    ///   in one buffer.
    public func render(_ context: JinjaObject, now: JinjaDate = .now()) throws(JinjaError) -> String {
        var evaluator = JinjaEvaluator(context: context, now: now)
        _ = try evaluator.run(nodes)
        return evaluator.output
    }
}
