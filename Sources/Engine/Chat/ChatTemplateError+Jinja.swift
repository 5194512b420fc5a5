extension ChatTemplateError {
    /// A Jinja template's failure as chat rendering reports it. `ChatTemplateError` has no
    /// case for template errors yet, so the template's refusal (`raise_exception`) or failure
    /// reads as the closest it has, an invalid conversation, with the template's own message.
    init(_ error: JinjaError) {
        switch error {
        case .raised(let message, _):
            self = .invalidOrder("the model's chat template refuses them: \(message)")
        default:
            self = .invalidOrder("the model's chat template cannot render them: \(error.description)")
        }
    }
}
