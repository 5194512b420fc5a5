import Testing
@testable import Engine
import TestSupport

/// The interpreter feature by feature: against jinja2's own renders of small templates
/// (`models/templates/jinja2-cases.json`), then the errors, which jinja2 reports in its own
/// words, checked here for their kind and position.
@Suite struct JinjaInterpreterTests {
    static let date = JinjaDate(year: 2026, month: 12, day: 3)

    static func render(_ source: String, _ context: JinjaObject = [:]) throws(JinjaError) -> String {
        try JinjaTemplate(source).render(context, now: date)
    }

    /// Each case: whitespace control, loops, scoping, namespaces, macros, operators, literals,
    /// slices, tests, filters, string and dict methods, functions and runtime errors.
    @Test func rendersAsJinja2() throws {
        let cases = try #require(TemplateFixtures.jinja2Cases.get()["cases"].array)
        #expect(cases.count >= 80)
        for c in cases {
            let label = c["name"].string ?? "?"
            let source = try #require(c["template"].string)
            let context = try #require(c["context"].object)
            let result = Result { () throws(JinjaError) in try Self.render(source, context) }
            try ChatTemplateReferenceTests.expectMatch(result, c, label)
        }
    }

    @Test func whitespaceControlAsHuggingFace() throws {
        // trim_blocks and lstrip_blocks: an indented block tag on its own line leaves nothing.
        let source = """
            {% for m in messages %}
                {% if m %}
            [{{ m }}]
                {% endif %}
            {% endfor %}
            """
        #expect(try Self.render(source, ["messages": ["a", "b"]]) == "[a]\n[b]\n")
        #expect(try Self.render("a  {%- if true -%}  b  {%- endif -%}  c") == "abc")
        #expect(try Self.render("{{- ' x ' -}}") == " x ")
        #expect(try Self.render("x {#- note -#} y") == "xy")
    }

    @Test func loopVariables() throws {
        let source = "{% for x in xs %}{{ loop.index }}/{{ loop.length }}{{ '^' if loop.first }}{{ '$' if loop.last }} {% endfor %}"
        #expect(try Self.render(source, ["xs": [1, 2, 3]]) == "1/3^ 2/3 3/3$ ")
        #expect(try Self.render("{% for k, v in d.items() if v %}{{ loop.index0 }}{{ k }}{% else %}none{% endfor %}", ["d": ["a": 0, "b": 1]]) == "0b")
    }

    @Test func namespacesCarryStateOutOfLoops() throws {
        let source = """
            {%- set ns = namespace(last_user=-1) %}
            {%- for m in messages %}{% if m.role == 'user' %}{% set ns.last_user = loop.index0 %}{% endif %}{% endfor %}
            {{- ns.last_user }}
            """
        let messages: JinjaValue = [["role": "user"], ["role": "assistant"], ["role": "user"], ["role": "assistant"]]
        #expect(try Self.render(source, ["messages": messages]) == "2")
        // Only a namespace takes attribute assignment.
        #expect(throws: JinjaError.runtime("'d' is not a namespace: only a namespace() takes 'set d.x = ...'", JinjaSourceLocation(line: 1, column: 17))) {
            try Self.render("{% set d = {} %}{% set d.x = 1 %}")
        }
    }

    @Test func tojsonLikeHuggingFace() throws {
        let tool: JinjaValue = ["type": "function", "function": ["name": "f", "parameters": ["b": 1, "a": [true, nil]]]]
        #expect(try Self.render("{{ t | tojson }}", ["t": tool])
            == #"{"type": "function", "function": {"name": "f", "parameters": {"b": 1, "a": [true, null]}}}"#)
        #expect(try Self.render("{{ t | tojson(indent=2) }}", ["t": ["a": [1]]]) == "{\n  \"a\": [\n    1\n  ]\n}")
        #expect(try Self.render("{{ 'é\n\"' | tojson }}") == #""é\n\"""#)
    }

    @Test func filtersAndTests() throws {
        let messages: JinjaValue = [["role": "system", "content": " S "], ["role": "user", "content": "U"]]
        #expect(try Self.render("{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | join(',') }}", ["messages": messages]) == "U")
        #expect(try Self.render("{{ messages[0].content | trim }}|{{ messages | length }}|{{ messages | first | tojson }}", ["messages": messages])
            == #"S|2|{"role": "system", "content": " S "}"#)
        #expect(try Self.render("{{ x is defined }} {{ x is none }} {{ y is string }} {{ y is not mapping }}", ["y": "s"]) == "False False True True")
    }

    @Test func errorsSayWhere() throws {
        #expect(throws: JinjaError.syntax("expected an expression, found '}}'", JinjaSourceLocation(line: 3, column: 8))) {
            try JinjaTemplate("Hello\n{% if x %}\n{{ y + }}{% endif %}")
        }
        #expect(throws: JinjaError.syntax("the '{% for %}' opened at line 1, column 4 is never closed: expected '{% else %}' or '{% endfor %}'",
                                          JinjaSourceLocation(line: 2, column: 6))) {
            try JinjaTemplate("   {% for x in xs %}\n{{x}}")
        }
        #expect(throws: JinjaError.syntax("the '{{' opened here is never closed with '}}'", JinjaSourceLocation(line: 1, column: 3))) {
            try JinjaTemplate("ab{{ x ")
        }
        #expect(throws: JinjaError.syntax("unexpected '{% endif %}' with no open tag it could close", JinjaSourceLocation(line: 1, column: 1))) {
            try JinjaTemplate("{% endif %}")
        }
        // Unsupported features fail at parse time, with what and where.
        #expect(throws: JinjaError.unsupported("the filter 'frobnicate'", JinjaSourceLocation(line: 2, column: 8))) {
            try JinjaTemplate("x\n{{ y | frobnicate }}")
        }
        #expect(throws: JinjaError.unsupported("the '{% include %}' tag", JinjaSourceLocation(line: 1, column: 1))) {
            try JinjaTemplate("{% include 'other.jinja' %}")
        }
        #expect(throws: JinjaError.unsupported("the function 'cycler()'", JinjaSourceLocation(line: 1, column: 4))) {
            try JinjaTemplate("{{ cycler('a') }}")
        }
        #expect(throws: JinjaError.unsupported("the method 'format()'", JinjaSourceLocation(line: 1, column: 8))) {
            try JinjaTemplate("{{ 'x'.format(1) }}")
        }
        #expect(throws: JinjaError.unsupported("the test 'fancy'", JinjaSourceLocation(line: 1, column: 28))) {
            try JinjaTemplate("{{ xs | selectattr('role', 'fancy') | list }}")
        }
        // Runtime errors say where, too.
        #expect(throws: JinjaError.runtime("'message' is undefined, so it has no attribute 'role'", JinjaSourceLocation(line: 1, column: 4))) {
            try Self.render("{{ message.role }}")
        }
        #expect(throws: JinjaError.runtime("unsupported operand types for +: 'str' and 'int'", JinjaSourceLocation(line: 1, column: 4))) {
            try Self.render("{{ 'a' + 1 }}")
        }
    }

    @Test func raiseExceptionBecomesATypedError() throws {
        let source = "{% for m in messages %}\n  {% if m.role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}\n{% endfor %}"
        #expect(throws: JinjaError.raised("System role not supported", JinjaSourceLocation(line: 2, column: 33))) {
            try Self.render(source, ["messages": [["role": "system"]]])
        }
        // Its description is the template's own message, as the API shows it.
        #expect(JinjaError.raised("Roles must alternate", JinjaSourceLocation(line: 1, column: 1)).description == "Roles must alternate")
    }

    @Test func strftimeNowUsesTheGivenDate() throws {
        #expect(try Self.render("{{ strftime_now('%d %b %Y') }}") == "03 Dec 2026")
        #expect(JinjaDate(year: 2024, month: 2, day: 29, hour: 13, minute: 5).formatted("%A %j %I:%M %p") == "Thursday 060 01:05 PM")
    }

    @Test func runawayMacrosFailInsteadOfCrashing() throws {
        #expect(throws: JinjaError.self) { try Self.render("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}") }
        #expect(throws: JinjaError.self) { try Self.render("{{ range(10000000) | length }}") }
    }

    @Test func jsonKeepsKeyOrder() throws {
        let text = #"{"z": 1, "a": [1.5, -2, "\u00e9\n", null, true, {}], "m": {"k": "v"}}"#
        let value = try JinjaValue(json: text)
        #expect(value.object?.keys == ["z", "a", "m"])
        #expect(value.json() == #"{"z": 1, "a": [1.5, -2, "é\n", null, true, {}], "m": {"k": "v"}}"#)
        #expect(throws: JinjaValue.JSONError.invalid("expected ',' or '}'", offset: 8)) { try JinjaValue(json: #"{"a": 1 "b": 2}"#) }
    }

    @Test func floatsPrintAsPython() {
        let cases: [(Double, String)] = [
            (1, "1.0"), (0.1 + 0.2, "0.30000000000000004"), (1e16, "1e+16"), (1e15, "1000000000000000.0"), (1e-5, "1e-05"),
            (0.0001, "0.0001"), (-2.5, "-2.5"), (1.5e300, "1.5e+300"), (123456789.125, "123456789.125"), (5e-324, "5e-324"),
        ]
        for (value, text) in cases { #expect(PythonText.formatFloat(value) == text) }
    }
}
