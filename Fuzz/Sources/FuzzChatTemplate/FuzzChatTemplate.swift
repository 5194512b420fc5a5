import Engine
import FuzzSupport

// A chat template (GGUF `tokenizer.chat_template`) as a model's is chosen at load
// (`ChatTemplate(gguf:vocabulary:)`: Jinja parse and probe renders, else built-in family
// detection), then rendered for a conversation as the server renders one: with and without a
// generation prompt, with tools, and tokenized. Every refusal must be a `JinjaError` or
// `ChatTemplateError`; a render must end (libFuzzer's -timeout).

private let vocabulary = try! Vocabulary(
    kind: .llama, tokens: ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>", "▁", "a", "b"],
    bos: 1, eos: 2, unknown: 0, addBOS: true, addSpacePrefix: true)
private let tokenizer = try! Tokenizer(vocabulary: vocabulary)
private let messages = sampleMessages.map { ChatMessage(role: $0.role, content: $0.content) }
private let tools: [JinjaValue] = [[
    "type": "function",
    "function": ["name": "get_weather", "description": "The weather.",
                 "parameters": ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]]],
]]
private let options = ChatRenderOptions(tools: tools, date: JinjaDate(year: 2024, month: 7, day: 26))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let source = text(data, size)
    let template = ChatTemplate(gguf: source, vocabulary: vocabulary)
    _ = (template.description, template.addsBOS, template.stopStrings)
    for (conversation, generationPrompt) in [(messages, true), (Array(messages.prefix(3)), false), (Array(messages.suffix(1)), true)] {
        do {
            _ = try template.render(conversation, addGenerationPrompt: generationPrompt, options: options)
        } catch {
            _ = error.description
        }
    }
    _ = try? tokenizer.encodeChat(messages, template: template)
    return 0
}
