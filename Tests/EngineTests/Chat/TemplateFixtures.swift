import Engine
import TestSupport

/// The committed chat templates and their reference renders (`models/templates/`, whose
/// README says where each came from), parsed once.
enum TemplateFixtures {
    /// The 10 templates, as named in the fixtures.
    static let templateNames = [
        "Qwen-Qwen2.5-7B-Instruct.jinja", "Qwen-Qwen3-0.6B.jinja", "meta-llama-Llama-3.1-8B-Instruct.jinja",
        "meta-llama-Llama-3.2-3B-Instruct.jinja", "microsoft-Phi-3.5-mini-instruct.jinja", "mistralai-Mistral-Nemo-Instruct-2407.jinja",
        "google-gemma-2-2b-it.jinja", "HuggingFaceTB-SmolLM3-3B.jinja", "NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja",
        "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja",
    ]

    /// The conversations llama.cpp rendered; `+tools` adds the one tool.
    static let conversations = ["user_only", "system_user", "multi_turn", "user_only+tools"]

    /// The date the references were rendered with ("03 Dec 2026").
    static let date = JinjaDate(year: 2026, month: 12, day: 3)

    /// A template's text.
    static func source(_ name: String) throws -> String {
        try References.readText(Fixtures.model("templates/" + name))
    }

    /// `rendered.json`: llama.cpp b11312's renders.
    static let llamaCpp = Result { try JinjaValue(json: References.readText(Fixtures.model("templates/rendered.json"))) }

    /// `jinja2-renders.json`: Python jinja2's renders of the templates, with more conversations.
    static let jinja2Renders = Result { try JinjaValue(json: References.readText(Fixtures.model("templates/jinja2-renders.json"))) }

    /// `jinja2-cases.json`: Python jinja2's renders of small templates, one feature each.
    static let jinja2Cases = Result { try JinjaValue(json: References.readText(Fixtures.model("templates/jinja2-cases.json"))) }
}

extension JinjaValue {
    /// `self[key]` of an object, `.undefined` otherwise: for reading fixtures.
    subscript(key: String) -> JinjaValue { object?[key] ?? .undefined }
}
