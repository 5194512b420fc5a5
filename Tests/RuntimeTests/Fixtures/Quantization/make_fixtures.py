#!/usr/bin/env python3
"""Makes the quantization fixtures in this folder with llama.cpp's own tools (see README.md).

    make_fixtures.py LLAMA_BUILD_BIN

LLAMA_BUILD_BIN is a llama.cpp build's bin/ folder (llama-quantize and libggml-base.so).
Needs numpy and gguf-py (`gguf`). Writes, next to this script:

    edge.input.f32           8 x 256 float32 inputs (edge cases, below), little-endian
    <type>.edge.bin          those rows quantized by llama.cpp (llama-quantize --pure)
    <type>.edge.dequant.f32  gguf-py's dequantization of <type>.edge.bin (Q8_K: ggml's)
    random.digests.txt       FNV-1a 64 of llama.cpp's bytes for the 256 x 256 formula rows
"""
import ctypes
import os
import subprocess
import sys
import tempfile

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T

HERE = os.path.dirname(os.path.abspath(__file__))
COLUMNS = 256

# (name used here, llama-quantize type argument, gguf-py type)
TYPES = [
    ("q2_K", "Q2_K", T.Q2_K),
    ("q3_K", "Q3_K", T.Q3_K),
    ("q4_K", "Q4_K", T.Q4_K),
    ("q5_K", "Q5_K", T.Q5_K),
    ("q6_K", "Q6_K", T.Q6_K),
    ("iq4_nl", "IQ4_NL", T.IQ4_NL),
    ("iq4_xs", "IQ4_XS", T.IQ4_XS),
]


def smooth(n, phase):
    i = np.arange(n, dtype=np.float64)
    return 0.02 * np.sin(0.37 * i + phase) + 0.005 * np.cos(2.1 * i + 3 * phase)


def edge_rows():
    """Eight 256-value rows, one K-quant super-block each, covering the quantizers' edge cases."""
    rows = np.zeros((8, COLUMNS), dtype=np.float64)
    rows[0] = smooth(COLUMNS, 0.5)                         # ordinary weights
    # rows[1] stays all zero                               # zero super-block
    rows[2, :128] = 0.5                                    # constant blocks
    rows[2, 128:] = -0.75
    rows[3] = smooth(COLUMNS, 1.5) * 0.5                   # one outlier each sign
    rows[3, 77] = 8.0
    rows[3, 200] = -3.0
    rows[4, :64] = smooth(64, 2.0) * 1e-3                  # tiny magnitudes: f16 scales
    rows[4, 64:128] = smooth(64, 2.5) * 1e-4               # go subnormal, then flush to 0,
    rows[4, 128:192] = smooth(64, 3.0) * 1e-6              # then below GROUP_MAX_EPS
    rows[4, 192:] = smooth(64, 3.5) * 1e-15
    rows[5] = smooth(COLUMNS, 4.0) * 1.5e6                 # large magnitudes (f16 scale limits)
    rows[5, :32] *= 0.01
    rows[6, :128] = np.abs(smooth(128, 5.0)) + 0.01        # positive-only (min > 0)
    rows[6, 128:] = -np.abs(smooth(128, 5.5)) - 0.02       # negative-only
    for g in range(16):                                    # sub-blocks of different scales,
        part = smooth(16, 6.0 + g)                         # some zero
        rows[7, 16 * g:16 * g + 16] = 0 if g % 4 == 1 else part * (10.0 ** (g % 4 - 2))
    return rows.astype(np.float32)


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return state, z ^ (z >> 31)


def random_rows(rows=256):
    """Rows from integers only, so Swift rebuilds them exactly (RuntimeTests' QuantizationFixtures):
    per element one splitmix64 draw z; s = sum of its four 16-bit parts - 131072; row r scales by
    2^EXPONENTS[r % 8]; every 5th row adds 40000 to s, every 7th multiplies one element in 64 by
    32, every 3rd zeroes the elements with z % 4 != 0."""
    exponents = [-34, -28, -24, -22, -20, -16, -10, -4]
    out = np.zeros((rows, COLUMNS), dtype=np.float32)
    state = 0x5EED
    for r in range(rows):
        scale = np.float32(2.0 ** exponents[r % 8])
        for c in range(COLUMNS):
            state, z = splitmix64(state)
            s = (z & 0xFFFF) + ((z >> 16) & 0xFFFF) + ((z >> 32) & 0xFFFF) + (z >> 48) - 131072
            if r % 5 == 0:
                s += 40000
            if r % 7 == 0 and (z >> 8) % 64 == 0:
                s *= 32
            if r % 3 == 0 and z % 4 != 0:
                s = 0
            out[r, c] = np.float32(s) * scale
    return out


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def write_input(path, edge, random):
    w = gguf.GGUFWriter(path, "llama")
    w.add_context_length(256)
    w.add_embedding_length(COLUMNS)
    w.add_block_count(1)
    w.add_feed_forward_length(COLUMNS)
    w.add_head_count(2)
    w.add_head_count_kv(2)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(0)
    w.add_tensor("blk.0.ffn_up.weight", edge)
    w.add_tensor("blk.0.ffn_down.weight", random)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def tensor_bytes(path):
    r = gguf.GGUFReader(path)
    return {t.name: bytes(t.data.tobytes()) for t in r.tensors}


def main():
    bindir = sys.argv[1]
    edge, random = edge_rows(), random_rows()
    edge.tofile(os.path.join(HERE, "edge.input.f32"))
    digests = []
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "input-f32.gguf")
        write_input(source, edge, random)
        for name, arg, qtype in TYPES:
            out = os.path.join(tmp, name + ".gguf")
            subprocess.run([os.path.join(bindir, "llama-quantize"), "--pure", source, out, arg, "1"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            data = tensor_bytes(out)
            edge_q = data["blk.0.ffn_up.weight"]
            with open(os.path.join(HERE, name + ".edge.bin"), "wb") as f:
                f.write(edge_q)
            values = gguf.quants.dequantize(np.frombuffer(edge_q, dtype=np.uint8).reshape(edge.shape[0], -1), qtype)
            values.astype(np.float32).tofile(os.path.join(HERE, name + ".edge.dequant.f32"))
            digests.append((name, fnv1a64(data["blk.0.ffn_down.weight"])))

    # Q8_K is no file type; ggml's own reference quantizer and decoder, called directly.
    ggml = ctypes.CDLL(os.path.join(bindir, "libggml-base.so"))
    for fn in (ggml.quantize_row_q8_K_ref, ggml.dequantize_row_q8_K):
        fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
        fn.restype = None

    def q8k(x):
        out = np.zeros(x.size // 256 * 292, dtype=np.uint8)
        ggml.quantize_row_q8_K_ref(x.ctypes.data, out.ctypes.data, x.size)
        return out

    edge_q = q8k(np.ascontiguousarray(edge))
    edge_q.tofile(os.path.join(HERE, "q8_K.edge.bin"))
    values = np.zeros(edge.size, dtype=np.float32)
    ggml.dequantize_row_q8_K(edge_q.ctypes.data, values.ctypes.data, edge.size)
    values.tofile(os.path.join(HERE, "q8_K.edge.dequant.f32"))
    digests.append(("q8_K", fnv1a64(q8k(np.ascontiguousarray(random)).tobytes())))

    with open(os.path.join(HERE, "random.digests.txt"), "w") as f:
        for name, h in digests:
            f.write(f"{name} {h:016x}\n")


if __name__ == "__main__":
    main()
