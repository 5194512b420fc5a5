import Engine
@testable import Server

// A chat request body's structured-output and tool fields as the chat route reads them: the
// ordered JSON (`JSONValue.parse`), `response_format`/`json_schema` compiled to a grammar
// (`ResponseFormat.grammar`), `tools`/`tool_choice` (`ToolFields`) and each tool-call format's
// forcing grammar, then the grammars matched against a few texts and the body's text read for
// calls in every format. Every refusal must be a `JSONParseError`, `OpenAIError` or
// `GrammarError`; compiling and matching must end (libFuzzer's -timeout) within its memory.

private let probes = [#"{"a": 1}"#, "[]", #""x""#, "3.5", "null", #"{"tool_calls": [{"name": "f", "arguments": {}}]}"#]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let body = try? JSONValue.parse(bytes: bytes) else { return 0 }
    _ = body.serialized
    var grammars: [Grammar] = []
    do {
        if let grammar = try ResponseFormat.grammar(in: body) { grammars.append(grammar) }
    } catch {
        _ = error.message
    }
    if let tools = try? ToolFields(body: body), !tools.tools.isEmpty {
        for format in [ToolCallFormat.hermes, .llama3, .mistral, .generic] {
            if let grammar = try? format.grammar(tools: tools.tools, choice: tools.choice == .none ? .required : tools.choice,
                                                  parallel: tools.parallel) {
                grammars.append(grammar)
            }
            let text = String(decoding: bytes, as: UTF8.self)
            _ = format.parse(text, tools: tools.tools)
            _ = format.prepare([ChatMessage(role: "user", content: text)], tools: tools.tools)
        }
    }
    for grammar in grammars {
        for probe in probes { _ = (grammar.accepts(probe), grammar.acceptsPrefix(probe)) }
    }
    return 0
}
