import Engine
import Foundation
import TestSupport

/// `Reference/minilm_goldens.json`: token ids and sentence vectors of all-MiniLM-L6-v2 from an
/// independent implementation (Hugging Face `tokenizers` and a numpy BERT; see its README).
struct MiniLMGoldens: Decodable {
    struct Embedding: Decodable {
        let text: String
        let ids: [TokenID]
        let embedding: [Float]
    }

    struct Tokenization: Decodable {
        let text: String
        let ids: [TokenID]
    }

    /// Tokens the reference truncated every input to.
    let maxLength: Int
    let embeddings: [Embedding]
    let wordpiece: [Tokenization]

    enum CodingKeys: String, CodingKey {
        case maxLength = "max_length", embeddings, wordpiece
    }

    static let shared: MiniLMGoldens = {
        let path = Fixtures.repositoryRoot + "/Tests/EngineTests/Embeddings/Reference/minilm_goldens.json"
        do {
            return try JSONDecoder().decode(MiniLMGoldens.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            fatalError("cannot read \(path): \(error)")
        }
    }()
}

/// cos(a, b) in Double.
func cosine(_ a: some Collection<Float>, _ b: some Collection<Float>) -> Double {
    var dot = 0.0, na = 0.0, nb = 0.0
    for (x, y) in zip(a, b) {
        dot += Double(x) * Double(y)
        na += Double(x) * Double(x)
        nb += Double(y) * Double(y)
    }
    return dot / max((na * nb).squareRoot(), 1e-30)
}
