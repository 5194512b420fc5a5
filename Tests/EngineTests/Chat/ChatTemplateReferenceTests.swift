import Testing
@testable import Engine
import TestSupport

/// The 10 real templates of `models/templates/` rendered by strata against two references
/// nobody here wrote: llama.cpp b11312's Jinja engine (`rendered.json`, what strata's chat
/// rendering must equal byte for byte) and Python's jinja2 set up as Hugging Face's
/// `apply_chat_template` (`jinja2-renders.json`, more conversations: tool calls, no
/// generation prompt, thinking history; what the interpreter itself must equal).
@Suite struct ChatTemplateReferenceTests {
    /// Through `ChatTemplate(gguf:vocabulary:)` with SmolLM2's vocabulary, whose BOS and EOS
    /// texts (`<|im_start|>`, `<|im_end|>`) the references used, exactly as a served model's
    /// template renders.
    @Test(arguments: TemplateFixtures.templateNames, TemplateFixtures.conversations)
    func rendersAsLlamaCpp(template name: String, conversation: String) throws {
        let reference = try TemplateFixtures.llamaCpp.get()
        let expected = try #require(reference["templates"][name][conversation].string)
        let source = try TemplateFixtures.source(name)
        let vocabulary = try TokenizerFixtures.smollm2.get().vocabulary
        let template = ChatTemplate(gguf: source, vocabulary: vocabulary)
        guard case .jinja(let jinja) = template else {
            Issue.record("\(name) fell back to the built-in \(template)")
            return
        }
        #expect(jinja.bosToken == "<|im_start|>" && jinja.eosToken == "<|im_end|>")

        let base = String(conversation.split(separator: "+")[0])
        let messages = try #require(reference["conversations"][base].array)
        let chat = messages.map { ChatMessage(role: $0["role"].string ?? "", content: $0["content"].string ?? "") }
        let tools = conversation.hasSuffix("+tools") ? reference["tools"].array : nil
        let options = ChatRenderOptions(tools: tools, date: TemplateFixtures.date)
        let rendered = try template.render(chat, options: options)
        #expect(rendered == expected, "\(name) \(conversation)")
        // The JSON-valued entry point renders the same.
        #expect(try jinja.render(messages, options: options) == expected)
    }

    /// Every case of `jinja2-renders.json` through the interpreter with the variables jinja2
    /// had (no llama.cpp additions): the output, or for jinja2's errors an error too (the
    /// template's own message when it called `raise_exception`).
    @Test func rendersAsJinja2() throws {
        let cases = try #require(TemplateFixtures.jinja2Renders.get()["cases"].array)
        #expect(cases.count == 10 * 9)
        var parsed: [String: JinjaTemplate] = [:]
        for c in cases {
            let name = try #require(c["template"].string)
            let label = "\(name) \(c["name"].string ?? "?")"
            if parsed[name] == nil { parsed[name] = try JinjaTemplate(TemplateFixtures.source(name)) }
            let context = try #require(c["context"].object)
            let result = Result { () throws(JinjaError) in try parsed[name]!.render(context, now: TemplateFixtures.date) }
            try Self.expectMatch(result, c, label)
        }
    }

    /// `result` against a jinja2 case: its `output`, or an error where it has `error`.
    static func expectMatch(_ result: Result<String, JinjaError>, _ c: JinjaValue, _ label: String) throws {
        if let output = c["output"].string {
            switch result {
            case .success(let text): #expect(text == output, "\(label)")
            case .failure(let error): Issue.record("\(label): \(error)")
            }
            return
        }
        let expectedError = try #require(c["error"].string, "\(label) has neither output nor error")
        switch result {
        case .success(let text):
            Issue.record("\(label): jinja2 raised \(expectedError), strata rendered \(text.debugDescription)")
        case .failure(.raised(let message, _)):
            #expect("TemplateError: " + message == expectedError, "\(label)")
        case .failure:
            #expect(!expectedError.hasPrefix("TemplateError:"), "\(label): jinja2's raise_exception should be .raised")
        }
    }
}
