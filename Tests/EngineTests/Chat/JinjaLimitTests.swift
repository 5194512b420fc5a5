import Foundation
import Testing
@testable import Engine
import TestSupport

/// Templates that would crash a serving thread, hold it for ever or exhaust the memory each
/// fail with a `JinjaError` naming the limit (`JinjaEvaluator+Limits.swift`,
/// `JinjaParser.maxNesting`); most were found by fuzzing (`Fuzz/`, FuzzChatTemplate). Real
/// templates stay far below the limits.
@Suite struct JinjaLimitTests {
    /// Renders `source`, by default with a work limit of 2^20 units, not a render's 2^21 and
    /// more, so that runaway templates stop in a fraction of a second in a debug build.
    /// A work limit that lets the size limits act first.
    static let plenty = 1 << 26

    static func render(_ source: String, _ context: JinjaObject = [:], workLimit: Int = 1 << 20) throws(JinjaError) -> String {
        var evaluator = JinjaEvaluator(context: context, now: JinjaDate(year: 2026, month: 12, day: 3))
        evaluator.workLimit = workLimit
        _ = try evaluator.run(try JinjaTemplate(source).nodes)
        return evaluator.output
    }

    /// The error `source` fails with; the test fails if it renders.
    static func failure(_ source: String, _ context: JinjaObject = [:], workLimit: Int = 1 << 20) -> JinjaError? {
        do {
            _ = try render(source, context, workLimit: workLimit)
            Issue.record("rendered, but should have failed: \(source.prefix(80))")
            return nil
        } catch {
            return error
        }
    }

    static func expectUnsupportedNesting(_ source: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard case .unsupported(let message, _)? = failure(source) else {
            Issue.record("expected an unsupported-nesting error", sourceLocation: sourceLocation)
            return
        }
        #expect(message.contains("nested more than \(JinjaParser.maxNesting) levels deep"), sourceLocation: sourceLocation)
    }

    /// `source` fails at render with a message that holds one of `fragments`.
    static func expectRuntimeError(_ source: String, _ fragments: String..., context: JinjaObject = [:], workLimit: Int = 1 << 20,
                                   sourceLocation: SourceLocation = #_sourceLocation) {
        guard case .runtime(let message, _)? = failure(source, context, workLimit: workLimit) else {
            Issue.record("expected a runtime error with '\(fragments)'", sourceLocation: sourceLocation)
            return
        }
        #expect(fragments.contains { message.contains($0) }, "\(message)", sourceLocation: sourceLocation)
    }

    // MARK: - Nesting (the parser, the evaluator and freeing recurse once per level)

    /// Fuzz finding: 6,000 nested `[` overflowed the parser's stack (AddressSanitizer:
    /// stack-overflow in JinjaParser.parsePrimary).
    @Test func deeplyNestedBracketsAreRefused() {
        Self.expectUnsupportedNesting("{{" + String(repeating: "[", count: 6000) + String(repeating: "]", count: 6000) + "}}")
        Self.expectUnsupportedNesting("{{" + String(repeating: "(", count: 6000) + "1" + String(repeating: ")", count: 6000) + "}}")
        Self.expectUnsupportedNesting("{{" + String(repeating: "{'a': ", count: 3000) + "1" + String(repeating: "}", count: 3000) + "}}")
        Self.expectUnsupportedNesting("{{ f(" + String(repeating: "x(", count: 3000) + String(repeating: ")", count: 3001) + " }}")
    }

    @Test func longOperatorChainsAreRefused() throws {
        // No recursion while parsing, but the tree is as deep as the chain is long.
        Self.expectUnsupportedNesting("{{ 1" + String(repeating: " ~ 1", count: 100_000) + " }}")
        Self.expectUnsupportedNesting("{{ x" + String(repeating: "|trim", count: 100_000) + " }}")
        Self.expectUnsupportedNesting("{{ x" + String(repeating: ".a", count: 100_000) + " }}")
        Self.expectUnsupportedNesting("{{ " + String(repeating: "not ", count: 100_000) + "1 }}")
        Self.expectUnsupportedNesting("{{ " + String(repeating: "- ", count: 100_000) + "1 }}")
        Self.expectUnsupportedNesting("{{ 1" + String(repeating: " if 1 else 2", count: 100_000) + " }}")
        // A long chain a real template might write is fine.
        #expect(try Self.render("{{ 'a'" + String(repeating: " ~ 'a'", count: 100) + " }}") == String(repeating: "a", count: 101))
    }

    @Test func deeplyNestedStatementsAreRefused() throws {
        Self.expectUnsupportedNesting(String(repeating: "{% if 1 %}", count: 100_000) + String(repeating: "{% endif %}", count: 100_000))
        Self.expectUnsupportedNesting(String(repeating: "{% for x in [1] %}", count: 300) + String(repeating: "{% endfor %}", count: 300))
        #expect(try Self.render(String(repeating: "{% if 1 %}", count: 100) + "x" + String(repeating: "{% endif %}", count: 100)) == "x")
    }

    @Test func macroRecursionTimesNestingIsBounded() {
        // 60 macro calls deep, each through 100 levels of expressions: the evaluator's own depth
        // limit stops it before the stack ends.
        let deep = "f(n - 1)" + String(repeating: " ~ 'a'", count: 100)
        Self.expectRuntimeError("{% macro f(n) %}{{ \(deep) if n > 0 }}{% endmacro %}{{ f(60) }}", "levels deep")
    }

    @Test func deeplyNestedValuesAreRefused() {
        Self.expectRuntimeError(
            "{% set ns = namespace(x=1) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x | length }}",
            "nested more than 512 levels deep")
        Self.expectRuntimeError(
            "{% set ns = namespace(x=1) %}{% for i in range(100000) %}{% set ns.x = {'k': ns.x} %}{% endfor %}", "nested more than")
        Self.expectRuntimeError(
            "{% set ns = namespace(x=1) %}{% for i in range(100000) %}{% set ns.x = dict(k=ns.x).items() %}{% endfor %}",
            "nested more than")
    }

    // MARK: - Work

    @Test func runawayLoopsStop() {
        Self.expectRuntimeError("{% for a in range(1000000) %}{% for b in range(1000000) %}{% endfor %}{% endfor %}", "steps")
        let recursive = "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}"
        Self.expectRuntimeError(recursive, "steps")
    }

    @Test func comparingSharedStructureIsCounted() {
        // A list of a million references to the same million-item list: a million items, a
        // million million to compare.
        Self.expectRuntimeError("{% set big = range(1000000) %}{% set x = [big] * 1000000 %}{{ x == x }}", "steps")
        Self.expectRuntimeError("{% set big = range(1000000) %}{% set x = [big] * 1000000 %}{{ x is equalto x }}", "steps")
    }

    @Test func searchingIsLinear() throws {
        // A naive substring search takes n * m steps on these; the render must be quick.
        let started = Date()
        #expect(try Self.render("{{ ('a' * 100000 ~ 'b') in ('a' * 2000000) }}", workLimit: Self.plenty) == "False")
        #expect(try Self.render("{{ ('a' * 2000000).count('a' * 100000 ~ 'b') }}", workLimit: Self.plenty) == "0")
        #expect(Date().timeIntervalSince(started) < 10)
    }

    // MARK: - Size

    @Test func stringsCannotGrowWithoutBound() throws {
        // With work to spare: each is refused for its size, before it is built.
        func tooLong(_ source: String, _ fragment: String = "too long", sourceLocation: SourceLocation = #_sourceLocation) {
            Self.expectRuntimeError(source, fragment, workLimit: Self.plenty, sourceLocation: sourceLocation)
        }
        tooLong("{{ 'ab' * 1000000000000 }}")
        tooLong("{{ 'ab' * 9223372036854775807 }}")
        tooLong("{{ [1, 2] * 1000000000000 }}")
        tooLong("{{ range(1000000) | join('x' * 1000) }}")
        tooLong("{{ ('x' * 1000).join(range(1000000)) }}")
        tooLong("{{ ('a' * 100000) | replace('', 'x' * 1000) }}", "longer than")
        tooLong("{{ ('a' * 100000).replace('a', 'x' * 1000) }}", "longer than")
        tooLong("{{ [1] | tojson(indent=1000000000000) }}")
        tooLong("{{ ([[[[1]]]] * 100000) | tojson(indent=100000) }}")
        tooLong("{% set big = 'x' * 1000000 %}{{ [big] * 100 }}")
        tooLong("{{ ('a,' * 8000000).split(',') | length }}")
        // Doubling a string: 2^64 bytes (what is spent building it may run out first).
        Self.expectRuntimeError("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
                                "too long", "steps", workLimit: Self.plenty)
        // Nothing is built for an empty repetition, however many times.
        #expect(try Self.render("{{ '' * 9223372036854775807 }}{{ [] * 9223372036854775807 }}") == "[]")
    }

    /// A range whose length overflows 64 bits trapped (`stop - start`); now it is too large.
    @Test func rangeBoundsDoNotOverflow() throws {
        Self.expectRuntimeError("{{ range(-9223372036854775807, 9223372036854775807) }}", "too large")
        Self.expectRuntimeError("{{ range(9223372036854775807, -9223372036854775807, -1) }}", "too large")
        #expect(try Self.render("{{ range(9223372036854775806, 9223372036854775807) | list }}") == "[9223372036854775806]")
    }

    // MARK: - Real templates stay far below

    /// The work a render of `template` spent and the depth it ended at; nil if it failed.
    static func spent(_ template: JinjaTemplate, _ context: JinjaObject) -> (work: Int, depth: Int)? {
        var evaluator = JinjaEvaluator(context: context, now: JinjaDate(year: 2026, month: 12, day: 3))
        guard (try? evaluator.run(template.nodes)) != nil else { return nil }
        return (evaluator.work, evaluator.depth)
    }

    @Test func realTemplatesSpendLittle() throws {
        let messages: [JinjaValue] = (0..<200).flatMap { i -> [JinjaValue] in
            [["role": "user", "content": .string("Question \(i): " + String(repeating: "word ", count: 200))],
             ["role": "assistant", "content": .string("Answer \(i).")]]
        }
        let bytes = messages.reduce(0) { $0 + ($1["content"].string?.utf8.count ?? 0) }
        var rendered = 0
        for name in TemplateFixtures.templateNames {
            let template = try JinjaTemplate(try TemplateFixtures.source(name))
            var context = JinjaObject()
            context["messages"] = .array(messages)
            context["bos_token"] = "<s>"
            context["eos_token"] = "</s>"
            context["add_generation_prompt"] = true
            // A template may refuse this conversation (roles must alternate, ...).
            guard let (work, depth) = Self.spent(template, context) else { continue }
            rendered += 1
            // Each byte of the conversation is read and copied a few times: well within the
            // budget, which grows with the conversation.
            #expect(work < 10 * bytes, "\(name): \(work) for \(bytes) bytes")
            #expect(work < JinjaEvaluator.workLimit(for: context) / 2)
            #expect(depth == 0)
        }
        #expect(rendered >= 5)
    }
}
