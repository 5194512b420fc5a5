#!/usr/bin/env python3
"""Optional cross-check of minilm_goldens.json against the official
sentence-transformers package (needs torch; not needed to regenerate goldens).

    python3 -m venv /tmp/stvenv && /tmp/stvenv/bin/pip install sentence-transformers
    cd <repo root> && HF_HUB_OFFLINE=1 /tmp/stvenv/bin/python \
        Tests/EngineTests/Embeddings/Reference/compare_sentence_transformers.py
"""
import json
import os

import numpy as np
from sentence_transformers import SentenceTransformer

GOLDENS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "minilm_goldens.json")

m = SentenceTransformer("models/minilm", device="cpu")
assert m.max_seq_length == 256, m.max_seq_length
g = json.load(open(GOLDENS))
texts = [e["text"] for e in g["embeddings"]]
batched = m.encode(texts, batch_size=32, convert_to_numpy=True)  # padded batch
single = np.stack([m.encode([t], convert_to_numpy=True)[0] for t in texts])
worst_cos, worst_abs = 1.0, 0.0
for e, vb, vs in zip(g["embeddings"], batched, single):
    ref = np.array(e["embedding"])
    for v in (vb, vs):
        worst_cos = min(worst_cos, float(ref @ v / np.linalg.norm(ref) / np.linalg.norm(v)))
        worst_abs = max(worst_abs, float(np.abs(ref - v).max()))
print("embeddings: worst cosine %.9f, worst max-abs diff %.3e" % (worst_cos, worst_abs))
mismatches = 0
for e in g["wordpiece"] + g["embeddings"]:
    ids = m.tokenizer(e["text"], truncation=True, max_length=256)["input_ids"]
    if ids != e["ids"]:
        mismatches += 1
        print("token mismatch:", repr(e["text"][:60]), ids[:16], e["ids"][:16])
print("token id mismatches: %d of %d" % (mismatches, len(g["wordpiece"]) + len(g["embeddings"])))
assert worst_cos >= 0.9999 and mismatches == 0
