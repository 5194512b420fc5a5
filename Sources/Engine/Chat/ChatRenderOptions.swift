/// What a chat render takes besides the messages.
public struct ChatRenderOptions: Sendable {
    /// The tools the model may call (OpenAI's `tools` array, as JSON values), for templates
    /// that describe them; nil or empty leaves `tools` undefined, as llama.cpp does. Built-in
    /// families ignore tools.
    public var tools: [JinjaValue]?
    /// The date `strftime_now`, `date_string` and `datetime` render; nil: now, local time.
    public var date: JinjaDate?
    /// More template variables, set over the defaults (`enable_thinking: false`, ...), as
    /// llama.cpp's `chat_template_kwargs`.
    public var variables: [String: JinjaValue]

    /// Options with the given tools, date and variables.
    public init(tools: [JinjaValue]? = nil, date: JinjaDate? = nil, variables: [String: JinjaValue] = [:]) {
        self.tools = tools
        self.date = date
        self.variables = variables
    }
}
