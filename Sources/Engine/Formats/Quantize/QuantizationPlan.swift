import StrataRuntime

/// The type each tensor of a GGUF file gets when it is quantized to a `LlamaFileType`, by
/// llama.cpp's rule (`src/llama-quant.cpp`: `tensor_allows_quantization`,
/// `llama_tensor_get_type_impl`, `tensor_type_fallback`), so that `strata quantize` writes the
/// same mix `llama-quantize` does:
///
/// - Only matrices named `*weight` are quantized, never norms, positional or token-type
///   embeddings, MoE router inputs or a few small per-architecture tensors.
/// - The mixes give more bits where it pays: `output.weight` (and a tied `token_embd.weight`)
///   Q6_K, `attn_v` and `ffn_down` on the "use more bits" layers (the first and last eighth and
///   every third between) Q6_K in `q4_K_M`/`q5_K_M`, and so on per file type.
/// - A row length that is not a whole number of the chosen type's blocks falls back
///   (Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0, Q2_K/Q3_K -> Q4_0, IQ4_XS -> IQ4_NL; F16 when even
///   32 does not divide it).
///
/// `pure` skips the mixes (llama-quantize `--pure`): every quantizable matrix gets the default
/// type, still with the fallbacks.
public struct QuantizationPlan: Sendable {
    /// Per input tensor (in file order), the type it is written in.
    public let targets: [GGMLType]
    /// How many tensors took a fallback type because of their row length.
    public let fallbacks: Int

    /// The facts about the model the rules read (llama.cpp's `hparams` and `model.type`).
    struct Model {
        var architecture: String
        var layers: Int
        var heads: Int
        var kvHeads: Int
        var experts: Int

        /// `n_gqa()`: query heads per KV head (0 without KV heads).
        var gqa: Int { kvHeads == 0 ? 0 : heads / kvHeads }

        /// llama.cpp's `LLM_TYPE_70B` for the architectures that report it (by layer count).
        var is70B: Bool {
            switch architecture {
            case "llama": return experts != 8 && layers == 80 && heads != kvHeads
            case "qwen2", "deci", "olmo": return layers == 80
            case "jais2": return layers == 68
            default: return false
            }
        }
    }

    /// llama.cpp's tensor categories (`tensor_get_category`).
    enum Category {
        case output, tokenEmbedding, attentionQKV, attentionKVB, attentionV, attentionK, attentionQ
        case attentionOutput, ffnUp, ffnGate, ffnDown, other

        init(name: String) {
            if name == "output.weight" { self = .output }
            else if name == "token_embd.weight" || name == "per_layer_token_embd.weight" { self = .tokenEmbedding }
            else if name.contains("attn_qkv.weight") { self = .attentionQKV }
            else if name.contains("attn_kv_b.weight") { self = .attentionKVB }
            else if name.contains("attn_v.weight") { self = .attentionV }
            else if name.contains("attn_k.weight") { self = .attentionK }
            else if name.contains("attn_q.weight") { self = .attentionQ }
            else if name.contains("attn_output.weight") { self = .attentionOutput }
            else if name.contains("ffn_up") { self = .ffnUp }
            else if name.contains("ffn_gate") { self = .ffnGate }
            else if name.contains("ffn_down") { self = .ffnDown }
            else { self = .other }
        }

        /// The attention-V-like tensors (`category_is_attn_v`).
        var isAttentionV: Bool { self == .attentionV || self == .attentionQKV || self == .attentionKVB }
    }

    /// Plans `tensors` of a file with `metadata` for `fileType`.
    /// - Throws: `GGUFQuantizer.QuantizeError.missingMetadata` when a mix needs a model fact
    ///   (architecture, layer or head count) the file does not state.
    public init(tensors: [GGUFTensorInfo], metadata: [String: GGUFValue], fileType: LlamaFileType, pure: Bool) throws {
        let defaultType = fileType.defaultType
        let mixes = defaultType.isBlockQuantized && !pure
        let model = mixes ? try Self.model(metadata) : Model(architecture: metadata["general.architecture"]?.string ?? "",
                                                               layers: 0, heads: 0, kvHeads: 0, experts: 0)
        // llama.cpp visits tensors ordered by layer number (non-layer tensors first), then name;
        // its per-category counters are layer indices only in that order.
        let order = tensors.indices.sorted { a, b in
            let la = Self.sortLayer(tensors[a].name), lb = Self.sortLayer(tensors[b].name)
            return la != lb ? la < lb : tensors[a].name.utf8.lexicographicallyPrecedes(tensors[b].name.utf8)
        }
        var state = Counters()
        for t in tensors {
            let category = Category(name: t.name)
            if category.isAttentionV { state.attentionVCount += 1 }
            if category == .output { state.tiedEmbeddings = false }
        }
        var targets = tensors.map(\.type)
        var fallbacks = 0
        for i in order {
            let t = tensors[i]
            guard Self.allowsQuantization(t, architecture: model.architecture) else { continue }
            var type = defaultType
            if defaultType.isBlockQuantized {
                if mixes {
                    type = Self.mixType(type, tensor: t, category: Category(name: t.name), fileType: fileType,
                                        model: model, state: &state)
                }
                let fallback = Self.fallback(type, columns: t.columns)
                if fallback != type { fallbacks += 1 }
                type = fallback
            }
            targets[i] = GGMLType(type)
        }
        self.targets = targets
        self.fallbacks = fallbacks
    }

    // MARK: The rule

    /// The running state of llama.cpp's `quantize_state_impl`.
    struct Counters {
        var attentionVCount = 0
        var attentionV = 0
        var ffnDown = 0
        var ffnGate = 0
        var ffnUp = 0
        var tiedEmbeddings = true
    }

    /// `tensor_allows_quantization` for the names any architecture may use.
    static func allowsQuantization(_ t: GGUFTensorInfo, architecture: String) -> Bool {
        let name = t.name
        guard t.dims.count >= 2, name.hasSuffix("weight"), !name.contains("_norm.weight") else { return false }
        let excluded = ["ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel", "per_layer_model_proj",
                        "ssm_conv1d", "shortconv.conv.weight", "indexer.k_proj.weight", "indexer.q_proj.weight",
                        "time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight",
                        "time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight",
                        "time_mix_a1.weight", "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight",
                        "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight",
                        "attn_rel_b.weight", ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos",
                        ".patch_embd", ".patch_merger", "a.rvq.codebook", "mm.a.code_embd"]
        if excluded.contains(where: { name.contains($0) }) { return false }
        // BERT-style positional and token-type embeddings (LLM_TENSOR_POS_EMBD, _TOKEN_TYPES).
        return name != "position_embd.weight" && name != "token_types.weight"
    }

    /// `use_more_bits`: the first and last eighth of the layers, and every third one between.
    static func useMoreBits(_ layer: Int, _ layers: Int) -> Bool {
        layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2
    }

    /// `llama_tensor_get_type_impl` for the file types here.
    static func mixType(_ defaultType: DType, tensor: GGUFTensorInfo, category: Category, fileType ftype: LlamaFileType,
                        model: Model, state: inout Counters) -> DType {
        var type = defaultType
        let falcon = model.architecture == "falcon"
        if category == .output || (state.tiedEmbeddings && category == .tokenEmbedding) {
            if falcon || tensor.columns % defaultType.blockElements != 0 {
                type = .q8_0
            } else if type != .q8_0 {
                type = .q6_K
            }
        } else if category == .tokenEmbedding {
            // No rule for these file types: the embedding keeps the default type.
        } else if category.isAttentionV {
            switch ftype {
            case .q2_K: type = model.gqa >= 4 ? .q4_K : .q3_K
            case .q3_K_M: type = state.attentionV < 2 ? .q5_K : .q4_K
            case .q3_K_L: type = .q5_K
            case .iq4_nl, .iq4_xs: if model.gqa >= 4 { type = .q5_K }
            case .q4_K_M, .q5_K_M: if useMoreBits(state.attentionV, state.attentionVCount) { type = .q6_K }
            case .q4_K_S: if state.attentionV < 4 { type = .q5_K }
            default: break
            }
            if model.is70B && (type == .q3_K || type == .q4_K) { type = .q5_K }
            if model.experts == 8 { type = .q8_0 }
            state.attentionV += 1
        } else if category == .attentionK {
            if model.experts == 8 { type = .q8_0 }
        } else if category == .ffnDown {
            let (layer, layers) = layerInfo(state.ffnDown, model.layers, tensor.name, experts: model.experts)
            switch ftype {
            case .q2_K: type = .q3_K
            case .q3_K_M:
                type = layer < layers / 16 ? .q5_K : !falcon || useMoreBits(layer, layers) ? .q4_K : .q3_K
            case .q3_K_L: type = falcon ? .q4_K : .q5_K
            case .q4_K_M:
                if falcon {
                    type = layer < layers / 16 ? .q6_K : useMoreBits(layer, layers) ? .q5_K : .q4_K
                } else if useMoreBits(layer, layers) {
                    type = .q6_K
                }
            case .iq4_nl, .iq4_xs: if layer < layers / 8 { type = .q5_K }
            case .q5_K_M: if useMoreBits(layer, layers) { type = .q6_K }
            case .q4_K_S: if !falcon && layer < layers / 8 { type = .q5_K }
            default: break
            }
            state.ffnDown += 1
        } else if category == .attentionOutput {
            if !falcon {
                if model.experts == 8 {
                    if [.q2_K, .q3_K_S, .q3_K_M, .iq4_nl, .q4_K_S, .q4_K_M, .iq4_xs].contains(ftype) { type = .q5_K }
                } else {
                    switch ftype {
                    case .q2_K: type = .q3_K
                    case .q3_K_M: type = .q4_K
                    case .q3_K_L: type = .q5_K
                    default: break
                    }
                }
            } else if ftype == .q3_K_L {
                type = .q4_K
            }
        } else if category == .attentionQKV {
            switch ftype {
            case .q3_K_M, .q3_K_L: type = .q4_K
            case .q4_K_M: type = .q5_K
            case .q5_K_M: type = .q6_K
            default: break
            }
        } else if category == .ffnGate {
            state.ffnGate += 1
        } else if category == .ffnUp {
            state.ffnUp += 1
        }
        return type
    }

    /// `tensor_type_fallback`: a type whose blocks fit a row of `columns`.
    static func fallback(_ type: DType, columns: Int) -> DType {
        guard columns % type.blockElements != 0 else { return type }
        let replacement: DType
        switch type {
        case .iq4_xs: replacement = .iq4_nl
        case .q2_K, .q3_K: replacement = .q4_0
        case .q4_K: replacement = .q5_0
        case .q5_K: replacement = .q5_1
        case .q6_K: replacement = .q8_0
        default: replacement = type  // a 32-element type: only F16 fits
        }
        return columns % replacement.blockElements == 0 ? replacement : .f16
    }

    /// `layer_info`: the layer of a tensor; with experts llama.cpp reads it from the name.
    static func layerInfo(_ counter: Int, _ layers: Int, _ name: String, experts: Int) -> (Int, Int) {
        if experts > 1 { return (sortLayer(name), layers) }
        return (counter, layers)
    }

    /// The `N` of a `blk.N.` name; -1 for tensors outside the layers (llama.cpp's sort key).
    static func sortLayer(_ name: String) -> Int {
        guard name.hasPrefix("blk.") else { return -1 }
        let digits = name.dropFirst(4).prefix { $0.isASCII && $0.isNumber }
        return Int(digits) ?? -1
    }

    /// The model facts from the GGUF metadata (`<arch>.block_count`, head counts, expert count).
    static func model(_ metadata: [String: GGUFValue]) throws -> Model {
        guard let architecture = metadata["general.architecture"]?.string else {
            throw GGUFQuantizer.QuantizeError.missingMetadata(key: "general.architecture")
        }
        func count(_ key: String) -> Int? {
            guard let value = metadata[architecture + "." + key] else { return nil }
            return value.int ?? value.ints?.first
        }
        guard let layers = count("block_count") else {
            throw GGUFQuantizer.QuantizeError.missingMetadata(key: architecture + ".block_count")
        }
        let heads = count("attention.head_count") ?? 0
        return Model(architecture: architecture, layers: layers, heads: heads,
                     kvHeads: count("attention.head_count_kv") ?? heads, experts: count("expert_count") ?? 0)
    }
}
