#!/usr/bin/env python3
"""Records the tensor types llama-quantize picks for each file type (see README.md).

    make_mix_reference.py LLAMA_BUILD_BIN > mixes.txt

Writes two tiny random F32 llama GGUFs of 22 layers (TinyLlama's depth) to a temporary folder,
quantizes each to every file type strata writes (and a few with --pure), reads the tensor types
back with gguf-py and prints:

    model NAME KEY=VALUE...              the metadata the rule reads
    tensor NAME TENSOR DIM0 DIM1 ...     the tensor table (GGML dimension order)
    expect NAME FTYPE mix|pure common=T TENSOR=T...
                                         the types of the quantized file: the most common matrix
                                         type and every matrix whose type differs from it (1-D
                                         tensors stay F32 and are not listed)
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import gguf

# TinyLlama-1.1B's proportions, narrow: 22 layers, 8 query heads sharing 1 KV head (GQA 8),
# every row length a multiple of 256, untied output. Then a stories15M-like width (288, not a
# multiple of 256: the fallbacks) with tied embeddings and no GQA.
MODELS = [
    dict(name="tinyllama", layers=22, dim=256, ffn=512, heads=8, kv_heads=1, vocab=320, tied=False),
    dict(name="ragged", layers=22, dim=288, ffn=768, heads=6, kv_heads=6, vocab=320, tied=True),
]
FTYPES = ["F32", "Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K",
          "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "IQ4_NL", "IQ4_XS", "F16", "BF16"]
PURE = ["Q4_K_M", "Q2_K", "IQ4_XS", "Q6_K"]
# llama-quantize's names to strata's (the tensor type's spelling, with _S/_M/_L).
NAMES = {f: f.lower().replace("_k", "_K").replace("_K_s", "_K_S").replace("_K_m", "_K_M").replace("_K_l", "_K_L")
         for f in FTYPES}


def tensors(m):
    d, f, kv = m["dim"], m["ffn"], m["dim"] // m["heads"] * m["kv_heads"]
    out = [("token_embd.weight", (m["vocab"], d))]
    for i in range(m["layers"]):
        p = f"blk.{i}."
        out += [(p + "attn_norm.weight", (d,)), (p + "attn_q.weight", (d, d)), (p + "attn_k.weight", (kv, d)),
                (p + "attn_v.weight", (kv, d)), (p + "attn_output.weight", (d, d)), (p + "ffn_norm.weight", (d,)),
                (p + "ffn_gate.weight", (f, d)), (p + "ffn_down.weight", (d, f)), (p + "ffn_up.weight", (f, d))]
    out.append(("output_norm.weight", (d,)))
    if not m["tied"]:
        out.append(("output.weight", (m["vocab"], d)))
    return out  # numpy shapes: (rows, columns)


def write_model(path, m):
    w = gguf.GGUFWriter(path, "llama")
    w.add_context_length(256)
    w.add_embedding_length(m["dim"])
    w.add_block_count(m["layers"])
    w.add_feed_forward_length(m["ffn"])
    w.add_head_count(m["heads"])
    w.add_head_count_kv(m["kv_heads"])
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(0)
    rng = np.random.default_rng(0)
    for name, shape in tensors(m):
        data = np.ones(shape, np.float32) if len(shape) == 1 else (rng.standard_normal(shape) * 0.02).astype(np.float32)
        w.add_tensor(name, data)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main():
    bindir = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        for m in MODELS:
            source = os.path.join(tmp, m["name"] + ".gguf")
            write_model(source, m)
            print(f"model {m['name']} general.architecture=llama llama.block_count={m['layers']} "
                  f"llama.attention.head_count={m['heads']} llama.attention.head_count_kv={m['kv_heads']}")
            for name, shape in tensors(m):
                print(f"tensor {m['name']} {name} {' '.join(str(d) for d in reversed(shape))}")
            for ftype, pure in [(f, False) for f in FTYPES] + [(f, True) for f in PURE]:
                out = os.path.join(tmp, "out.gguf")
                args = [os.path.join(bindir, "llama-quantize")] + (["--pure"] if pure else []) + [source, out, ftype, "2"]
                subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                types = {t.name: t.tensor_type.name.lower().replace("_k", "_K") for t in gguf.GGUFReader(out).tensors
                         if len(t.shape) > 1}
                counts = {}
                for t in types.values():
                    counts[t] = counts.get(t, 0) + 1
                common = max(counts, key=counts.get)
                rest = " ".join(f"{n}={t}" for n, t in types.items() if t != common)
                print(f"expect {m['name']} {NAMES[ftype]} {'pure' if pure else 'mix'} common={common} {rest}".rstrip())
                os.unlink(out)


if __name__ == "__main__":
    main()
