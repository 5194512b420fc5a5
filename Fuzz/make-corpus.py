#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (Fuzz/Corpus/<target>/), a few KiB a file.

Seeds are small valid inputs the fuzzer mutates from: tiny synthetic models, and excerpts of
the real files in models/ (the first tokens of real GGUF vocabularies, tok512.bin, the real
chat templates, all-MiniLM-L6-v2's tokenizer.json). Run from the repository root:

    python3 Fuzz/make-corpus.py

The tokenizer.json seeds need models/minilm (fetched by `make test`); without it they are
left as they are.
"""
import json
import math
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "Fuzz", "Corpus")


def write(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data)


def floats(n, scale=0.05, seed=1):
    """n deterministic small floats (a linear congruential sequence), little-endian f32."""
    out, x = [], seed
    for _ in range(n):
        x = (x * 1103515245 + 12345) % (1 << 31)
        out.append((x / (1 << 31) - 0.5) * 2 * scale)
    return struct.pack(f"<{n}f", *out)


# MARK: - GGUF

U8, I8, U16, I16, U32, I32, F32, BOOL, STR, ARR, U64, I64, F64 = range(13)
SCALAR = {U8: "B", I8: "b", U16: "H", I16: "h", U32: "I", I32: "i", F32: "f", BOOL: "?", U64: "Q", I64: "q", F64: "d"}
GGML_F32, GGML_F16, GGML_Q4_0, GGML_Q8_0, GGML_Q4_K, GGML_BF16 = 0, 1, 2, 8, 12, 30


def gguf_string(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def gguf_value(t, v):
    if t == STR:
        return gguf_string(v)
    if t == ARR:
        element_type, values = v
        return struct.pack("<IQ", element_type, len(values)) + b"".join(gguf_value(element_type, x) for x in values)
    return struct.pack("<" + SCALAR[t], v)


def gguf(kvs, tensors=(), version=3, alignment=32):
    """kvs: (key, type, value); tensors: (name, dims, ggml type, data bytes)."""
    out = struct.pack("<IIQQ", 0x46554747, version, len(tensors), len(kvs))
    for key, t, v in kvs:
        out += gguf_string(key) + struct.pack("<I", t) + gguf_value(t, v)
    offset, data = 0, b""
    for name, dims, ggml_type, payload in tensors:
        out += gguf_string(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", ggml_type, offset)
        data += payload + b"\0" * (-len(payload) % alignment)
        offset = len(data)
    out += b"\0" * (-len(out) % alignment)
    return out + data


def read_gguf_metadata(path):
    """The metadata of a GGUF file: key -> (type, value)."""
    data = open(path, "rb").read()
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return v[0]

    def string():
        nonlocal pos
        n = take("Q")
        pos += n
        return data[pos - n:pos].decode("utf-8", "surrogateescape")

    def value(t):
        if t == STR:
            return string()
        if t == ARR:
            element_type, n = take("I"), take("Q")
            return (element_type, [value(element_type) for _ in range(n)])
        return take(SCALAR[t])

    take("I"), take("I"), take("Q")
    kvs = {}
    for _ in range(take("Q")):
        key = string()
        t = take("I")
        kvs[key] = (t, value(t))
    return kvs


def vocabulary_excerpt(path, count, extra_keys=()):
    """The tokenizer.ggml.* keys of a real vocabulary file cut to its first `count` tokens
    (merges kept when both halves and their join are among them)."""
    kv = read_gguf_metadata(path)
    tokens = kv["tokenizer.ggml.tokens"][1][1][:count]
    kept = set(tokens)
    out = []
    for key, (t, v) in kv.items():
        if not (key.startswith("tokenizer.") or key in extra_keys):
            continue
        if key == "tokenizer.ggml.tokens":
            v = (STR, tokens)
        elif key in ("tokenizer.ggml.scores", "tokenizer.ggml.token_type"):
            v = (v[0], v[1][:count])
        elif key == "tokenizer.ggml.merges":
            v = (STR, [m for m in v[1] if len(m.split(" ")) == 2 and m.split(" ")[0] in kept and m.split(" ")[1] in kept
                       and m.replace(" ", "") in kept][:200])
        elif key.endswith("_token_id") and v >= count:
            v = min(v, count - 1)
        out.append((key, t, v))
    return out


def llama_keys(arch, dim, hidden, layers, heads, kv_heads, context, vocab=None):
    keys = [
        ("general.architecture", STR, arch),
        ("general.name", STR, "fuzz seed"),
        (f"{arch}.context_length", U32, context),
        (f"{arch}.embedding_length", U32, dim),
        (f"{arch}.block_count", U32, layers),
        (f"{arch}.feed_forward_length", U32, hidden),
        (f"{arch}.attention.head_count", U32, heads),
        (f"{arch}.attention.head_count_kv", U32, kv_heads),
        (f"{arch}.rope.dimension_count", U32, dim // heads),
        (f"{arch}.rope.freq_base", F32, 10000.0),
        (f"{arch}.attention.layer_norm_rms_epsilon", F32, 1e-5),
    ]
    if vocab is not None:
        keys.append((f"{arch}.vocab_size", U32, vocab))
    return keys


def llama_tensors(dim, hidden, layers, heads, kv_heads, vocab, matrix_type=GGML_F32):
    """llama.cpp's tensor layout; norms F32, matrices F32 or F16."""
    head = dim // heads
    kv_dim = kv_heads * head

    def matrix(name, columns, rows, seed):
        if matrix_type == GGML_F16:
            n = columns * rows
            values = struct.unpack(f"<{n}f", floats(n, seed=seed))
            return (name, [columns, rows], GGML_F16, struct.pack(f"<{n}e", *values))
        return (name, [columns, rows], GGML_F32, floats(columns * rows, seed=seed))

    def norm(name):
        return (name, [dim], GGML_F32, struct.pack(f"<{dim}f", *([1.0] * dim)))

    tensors = [matrix("token_embd.weight", dim, vocab, 1)]
    for layer in range(layers):
        p = f"blk.{layer}."
        tensors += [
            norm(p + "attn_norm.weight"),
            matrix(p + "attn_q.weight", dim, dim, 2), matrix(p + "attn_k.weight", dim, kv_dim, 3),
            matrix(p + "attn_v.weight", dim, kv_dim, 4), matrix(p + "attn_output.weight", dim, dim, 5),
            norm(p + "ffn_norm.weight"),
            matrix(p + "ffn_gate.weight", dim, hidden, 6), matrix(p + "ffn_up.weight", dim, hidden, 7),
            matrix(p + "ffn_down.weight", hidden, dim, 8),
        ]
    return tensors + [norm("output_norm.weight")]


def gguf_seeds():
    spm = os.path.join(ROOT, "models/vocab/ggml-vocab-llama-spm.gguf")
    smollm2 = os.path.join(ROOT, "models/vocab/ggml-vocab-smollm2.gguf")
    t = "FuzzGGUF"
    # A runnable tiny Llama: width 8, one layer, 2 heads (1 KV head), 24 SentencePiece tokens.
    vocab = vocabulary_excerpt(spm, 24)
    write(t, "tiny-llama-spm.gguf", gguf(llama_keys("llama", 8, 16, 1, 2, 1, 32) + vocab, llama_tensors(8, 16, 1, 2, 1, 24)))
    # The same with F16 matrices, two layers, an untied output and the SmolLM2 chat template.
    template = read_gguf_metadata(smollm2)["tokenizer.chat_template"][1]
    tensors = llama_tensors(8, 16, 2, 2, 2, 24, GGML_F16) + [("output.weight", [8, 24], GGML_F32, floats(8 * 24, seed=9))]
    write(t, "tiny-llama-f16.gguf", gguf(llama_keys("llama", 8, 16, 2, 2, 2, 64, vocab=24) + vocab
                                          + [("tokenizer.chat_template", STR, template)], tensors))
    # Vocabulary-only excerpts of real files (no tensors): SentencePiece, byte-level BPE.
    write(t, "llama-spm-vocab.gguf", gguf(vocabulary_excerpt(spm, 300, ["general.architecture"])))
    write(t, "smollm2-vocab.gguf", gguf(vocabulary_excerpt(smollm2, 400, ["general.architecture", "general.name"])))
    # Every metadata type, a nested array, an alignment, and tensors of several block types.
    kvs = [
        ("general.alignment", U32, 64),
        ("u8", U8, 255), ("i8", I8, -1), ("u16", U16, 65535), ("i16", I16, -2), ("u32", U32, 7), ("i32", I32, -3),
        ("f32", F32, 1.5), ("bool", BOOL, True), ("str", STR, "text \u00e9"), ("u64", U64, 1 << 40), ("i64", I64, -(1 << 40)),
        ("f64", F64, 2.25), ("arr.u32", ARR, (U32, [1, 2, 3])), ("arr.str", ARR, (STR, ["a", "", "bc"])),
        ("arr.nested", ARR, (ARR, [(I8, [1, -1]), (F32, [0.5])])),
    ]
    tensors = [
        ("f32", [4, 2], GGML_F32, floats(8)),
        ("f16", [3], GGML_F16, struct.pack("<3e", 1.0, -2.0, 0.5)),
        ("bf16", [2], GGML_BF16, b"\x80\x3f\x00\x40"),
        ("q4_0", [32], GGML_Q4_0, b"\x00\x3c" + bytes(range(16))),
        ("q8_0", [32, 2], GGML_Q8_0, (b"\x00\x3c" + bytes(range(32))) * 2),
        ("q4_k", [256], GGML_Q4_K, bytes(144)),
    ]
    write(t, "metadata-types.gguf", gguf(kvs, tensors, alignment=64))
    # The other architectures' extra tensors: Qwen2's Q/K/V biases, Qwen3's Q/K norms, Gemma 3's
    # Q/K norms and post-norms (with its sliding window).
    def vector(name, n):
        return (name, [n], GGML_F32, struct.pack(f"<{n}f", *([1.0] * n)))
    extras = {
        "qwen2": lambda p: [vector(p + "attn_q.bias", 8), vector(p + "attn_k.bias", 4), vector(p + "attn_v.bias", 4)],
        "qwen3": lambda p: [vector(p + "attn_q_norm.weight", 4), vector(p + "attn_k_norm.weight", 4)],
        "gemma3": lambda p: [vector(p + "attn_q_norm.weight", 4), vector(p + "attn_k_norm.weight", 4),
                             vector(p + "post_attention_norm.weight", 8), vector(p + "post_ffw_norm.weight", 8)],
    }
    for arch, more in extras.items():
        keys = llama_keys(arch, 8, 16, 2, 2, 1, 32) + vocab
        if arch == "gemma3":
            keys += [("gemma3.attention.sliding_window", U32, 4), ("gemma3.attention.key_length", U32, 4),
                     ("gemma3.attention.value_length", U32, 4)]
        tensors = llama_tensors(8, 16, 2, 2, 1, 24) + more("blk.0.") + more("blk.1.")
        write(t, f"tiny-{arch}.gguf", gguf(keys, tensors))
    write(t, "metadata-types-v2.gguf", gguf(kvs[1:8], tensors[:2], version=2))


# MARK: - safetensors

def safetensors(header, data):
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def safetensors_seeds():
    t = "FuzzSafetensors"
    write(t, "two-f32.safetensors", safetensors({
        "__metadata__": {"format": "pt"},
        "embeddings.word_embeddings.weight": {"dtype": "F32", "shape": [4, 3], "data_offsets": [0, 48]},
        "embeddings.LayerNorm.bias": {"dtype": "F32", "shape": [3], "data_offsets": [48, 60]},
    }, floats(15)))
    write(t, "dtypes.safetensors", safetensors({
        "a.f16": {"dtype": "F16", "shape": [2, 2], "data_offsets": [0, 8]},
        "b.bf16": {"dtype": "BF16", "shape": [2], "data_offsets": [8, 12]},
        "c.i64": {"dtype": "I64", "shape": [1], "data_offsets": [12, 20]},
        "d.empty": {"dtype": "F32", "shape": [0, 4], "data_offsets": [20, 20]},
        "e.scalar": {"dtype": "U8", "shape": [], "data_offsets": [20, 21]},
        "f.bool": {"dtype": "BOOL", "shape": [3], "data_offsets": [24, 27]},
    }, bytes(range(27))))
    # A BERT layer's names and shapes at width 4 (all-MiniLM-L6-v2's layout, shrunk).
    header, offset, names = {}, 0, [
        ("embeddings.position_embeddings.weight", [8, 4]), ("embeddings.token_type_embeddings.weight", [2, 4]),
        ("encoder.layer.0.attention.self.query.weight", [4, 4]), ("encoder.layer.0.attention.self.query.bias", [4]),
        ("encoder.layer.0.intermediate.dense.weight", [8, 4]), ("pooler.dense.weight", [4, 4]),
    ]
    for name, shape in names:
        n = 4 * math.prod(shape)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    write(t, "bert-layout.safetensors", safetensors(header, floats(offset // 4)))


# MARK: - llama2.c

def llama2c(dim, hidden, layers, heads, kv_heads, vocab, seq, shared=True):
    head = dim // heads
    kv_dim = kv_heads * head
    n = vocab * dim + layers * (dim + dim * dim + 2 * dim * kv_dim + dim * dim + dim + 3 * dim * hidden) + dim
    n += seq * head  # the RoPE tables (cos and sin, seq * head / 2 each)
    if not shared:
        n += vocab * dim
    header = struct.pack("<7i", dim, hidden, layers, heads, kv_heads, vocab if shared else -vocab, seq)
    return header + floats(n)


def llama2c_seeds():
    t = "FuzzLlama2C"
    write(t, "tiny-shared.bin", llama2c(8, 16, 1, 2, 1, 4, 4))
    write(t, "tiny-untied-gqa.bin", llama2c(8, 12, 2, 4, 2, 6, 2, shared=False))
    # The header of stories260K.bin alone (the weights cut off).
    write(t, "stories260K-header.bin", open(os.path.join(ROOT, "models/stories260K.bin"), "rb").read()[:28])

    t = "FuzzLlama2CTokenizer"
    tok512 = open(os.path.join(ROOT, "models/tok512.bin"), "rb").read()
    write(t, "tok512.bin", struct.pack("<i", 512) + tok512)
    end = 4
    for _ in range(40):
        end += 8 + struct.unpack_from("<i", tok512, end + 4)[0]
    write(t, "tok512-first-40.bin", struct.pack("<i", 40) + tok512[:end])
    pieces = [b"<unk>", b"\n<s>\n", b"\n</s>\n", b"<0x0A>", b"<0xE4>", b" ", b"a", b" a", b"ab", b" hello", b"\xe4\xb8\xad"]
    body = struct.pack("<i", 8) + b"".join(struct.pack("<fi", -float(i), len(p)) + p for i, p in enumerate(pieces))
    write(t, "handmade.bin", struct.pack("<i", len(pieces)) + body)


# MARK: - tokenizer.json

def tokenizer_json_seeds():
    path = os.path.join(ROOT, "models/minilm/tokenizer.json")
    if not os.path.exists(path):
        print(f"skipping the tokenizer.json seeds: {path} is missing (make test fetches it)", file=sys.stderr)
        return
    real = json.load(open(path))
    vocab = real["model"]["vocab"]
    wanted = ["hello", "world", "it", "'", "s", ",", "!", ".", ":", "1", "2", "##3", "##4", "tokens", "##ing", "una", "##ff",
              "##able", "he", "##llo", "wo", "##rl", "##d", "中", "文", "テ", "[", "]", "<", ">", "/", "|", "inst", "cl", "##s"]
    excerpt = {k: v for k, v in vocab.items() if v < 120 or k in wanted}
    t = "FuzzTokenizerJSON"
    seed = dict(real)
    seed["model"] = dict(real["model"], vocab=excerpt)
    write(t, "minilm-excerpt.json", json.dumps(seed, ensure_ascii=False, indent=1))
    # Cased, accents stripped, an added token matched after normalization, another prefix.
    cased = {k: v for k, v in excerpt.items()}
    cased.update({"Hello": 200, "##é": 201, "@@ing": 202})
    seed = {
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "@@", "max_input_chars_per_word": 5,
                  "vocab": cased},
        "normalizer": {"type": "BertNormalizer", "clean_text": False, "handle_chinese_chars": False, "strip_accents": True,
                       "lowercase": False},
        "added_tokens": [{"id": 203, "content": "<|x|>", "normalized": False}, {"id": 204, "content": "Hello", "normalized": True}],
    }
    write(t, "cased.json", json.dumps(seed, ensure_ascii=False))
    write(t, "minimal.json", json.dumps({"model": {"vocab": {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "a": 3, "##a": 4}}}))


# MARK: - chat templates

def chat_template_seeds():
    t = "FuzzChatTemplate"
    templates = os.path.join(ROOT, "models/templates")
    for name in sorted(os.listdir(templates)):
        if name.endswith(".jinja"):
            write(t, name, open(os.path.join(templates, name), "rb").read())
    cases = json.load(open(os.path.join(templates, "jinja2-cases.json")))["cases"]
    for i, case in enumerate(cases):
        write(t, f"jinja2-case-{i:03}.jinja", case["template"])
    write(t, "chatml-name.txt", "chatml")
    write(t, "llama2-markers.txt", "[INST] <<SYS>> {{ bos_token }} [/INST] {{ eos_token }}")


# MARK: - requests

def request_seeds():
    t = "FuzzRequest"
    bodies = {
        "chat.json": {"model": "m", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]},
        "chat-parts.json": {"messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
                                         {"role": "assistant", "content": None}]},
        "chat-sampling.json": {
            "messages": [{"role": "user", "content": "x"}], "max_completion_tokens": 16, "temperature": 0.7, "top_p": 0.9,
            "top_k": 40, "min_p": 0.05, "seed": -1, "presence_penalty": 0.5, "frequency_penalty": -0.5, "repeat_penalty": 1.1,
            "n": 1, "stream": True, "stream_options": {"include_usage": True}, "stop": ["\n", "User:"], "logprobs": False,
            "user": "u", "logit_bias": {}, "response_format": {"type": "text"}, "tools": [], "tool_choice": "auto",
            "top_logprobs": 0},
        "chat-unsupported.json": {"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function"}],
                                  "logit_bias": {"1": 2}, "response_format": {"type": "json_object"}, "max_tokens": 1e30},
        "completion.json": {"model": "m", "prompt": "Once upon a time", "max_tokens": 8, "stop": "\n"},
        "completion-array.json": {"prompt": ["one"], "echo": False, "logprobs": 0, "best_of": 1, "suffix": "", "temperature": 0},
        "embedding.json": {"model": "m", "input": "text"},
        "embedding-texts.json": {"input": ["a", "b"], "encoding_format": "base64", "dimensions": 384, "truncate": True, "user": "u"},
        "embedding-tokens.json": {"input": [1, 2, 3]},
        "embedding-token-arrays.json": {"input": [[1, 2], [3]], "encoding_format": "float"},
    }
    for name, body in bodies.items():
        write(t, name, json.dumps(body))
    write(t, "not-an-object.json", "[1, 2.5e308, -0, \"\\ud800\", null, true]")


if __name__ == "__main__":
    gguf_seeds()
    safetensors_seeds()
    llama2c_seeds()
    tokenizer_json_seeds()
    chat_template_seeds()
    request_seeds()
