#!/usr/bin/env python3
"""Writes dot_reference.json: for every block type, weight rows (random blocks and blocks taken
from GGUF files llama.cpp wrote), llama.cpp's own dequantization of them, llama.cpp's
quantization of a fixed set of activations, and llama.cpp's dot products of the two.

Everything is computed by llama.cpp's C functions, called through ctypes from an existing
build's libggml-base.so / libggml-cpu.so (this script builds nothing): `to_float` (the
dequantizer), `from_float` of the type's `vec_dot_type` (Q8_0, Q8_1 or Q8_K, as matmuls
quantize activations on this CPU) and `vec_dot`. gguf-py's numpy dequantization is checked
against llama.cpp's on the same blocks (they must agree bit for bit) and used to read files.

    python3 make_dot_reference.py --ggml /path/to/llama.cpp/build/bin \\
        --file q4_1=SmolLM2-135M-Instruct.Q4_1.gguf:blk.0.attn_q.weight ... > dot_reference.json

Large arrays are stored as xxHash64 digests of their little-endian bytes (the tests hash their
own output the same way), plus the first values for a readable failure.
"""
import argparse
import ctypes
import json
import struct
import sys

import numpy as np
from gguf import GGUFReader, GGMLQuantizationType
from gguf import quants as gq

TYPES = {  # name -> (ggml type id, block elements, block bytes)
    "q4_0": (2, 32, 18), "q4_1": (3, 32, 20), "q5_0": (6, 32, 22), "q5_1": (7, 32, 24),
    "q8_0": (8, 32, 34), "q2_K": (10, 256, 84), "q3_K": (11, 256, 110), "q4_K": (12, 256, 144),
    "q5_K": (13, 256, 176), "q6_K": (14, 256, 210), "iq4_nl": (20, 32, 18), "iq4_xs": (23, 256, 136),
}
# Byte offsets of each block's f16 scales: random blocks get sane ones there.
HALVES = {"q4_0": [0], "q5_0": [0], "q8_0": [0], "iq4_nl": [0], "iq4_xs": [0], "q4_1": [0, 2], "q5_1": [0, 2],
          "q4_K": [0, 2], "q5_K": [0, 2], "q2_K": [80, 82], "q3_K": [108], "q6_K": [208]}
ACTIVATION_BYTES = {8: 34, 9: 36, 15: 292}  # Q8_0, Q8_1, Q8_K block bytes
COLUMNS = 512
TOKENS = 3


def xxh64(data: bytes, seed: int = 0) -> int:
    """xxHash64 (the tests use Memory's XXHash64)."""
    p1, p2, p3, p4, p5 = (0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x85EBCA77C2B2AE63,
                          0x27D4EB2F165667C5)
    m = (1 << 64) - 1
    rotl = lambda x, r: ((x << r) | (x >> (64 - r))) & m
    def round_(acc, lane):
        acc = (acc + lane * p2) & m
        return (rotl(acc, 31) * p1) & m
    def merge(acc, val):
        acc ^= round_(0, val)
        return (acc * p1 + p4) & m
    n, i = len(data), 0
    if n >= 32:
        v = [(seed + p1 + p2) & m, (seed + p2) & m, seed & m, (seed - p1) & m]
        while i + 32 <= n:
            for k in range(4):
                v[k] = round_(v[k], struct.unpack_from("<Q", data, i + 8 * k)[0])
            i += 32
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & m
        for k in range(4):
            h = merge(h, v[k])
    else:
        h = (seed + p5) & m
    h = (h + n) & m
    while i + 8 <= n:
        h ^= round_(0, struct.unpack_from("<Q", data, i)[0])
        h = (rotl(h, 27) * p1 + p4) & m
        i += 8
    if i + 4 <= n:
        h ^= (struct.unpack_from("<I", data, i)[0] * p1) & m
        h = (rotl(h, 23) * p2 + p3) & m
        i += 4
    while i < n:
        h ^= (data[i] * p5) & m
        h = (rotl(h, 11) * p1) & m
        i += 1
    h ^= h >> 33
    h = (h * p2) & m
    h ^= h >> 29
    h = (h * p3) & m
    h ^= h >> 32
    return h


class TypeTraitsCPU(ctypes.Structure):
    _fields_ = [("from_float", ctypes.c_void_p), ("vec_dot", ctypes.c_void_p), ("vec_dot_type", ctypes.c_int),
                ("nrows", ctypes.c_int64)]


class TypeTraits(ctypes.Structure):
    _fields_ = [("type_name", ctypes.c_char_p), ("blck_size", ctypes.c_int64), ("blck_size_interleave", ctypes.c_int64),
                ("type_size", ctypes.c_size_t), ("is_quantized", ctypes.c_bool), ("to_float", ctypes.c_void_p),
                ("from_float_ref", ctypes.c_void_p)]


FROM_FLOAT = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)
TO_FLOAT = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)
VEC_DOT = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t,
                           ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)


def activations() -> np.ndarray:
    """[TOKENS, COLUMNS] float32 from integers, spelled the same way in the Swift test."""
    out = np.zeros((TOKENS, COLUMNS), dtype=np.float32)
    for t in range(TOKENS):
        for i in range(COLUMNS):
            h = (i * 2654435761 + t * 40503 + 17) % 2001
            out[t, i] = np.float32(h - 1000) / np.float32(1000) * np.float32(t + 1)
    out[1, 40] = np.float32(25)  # an outlier
    out[2, 256:288] = 0  # a zero block
    return out


def random_rows(name: str, rows: int, rng: np.random.Generator) -> bytes:
    _, n, size = TYPES[name]
    blocks = rows * COLUMNS // n
    raw = bytearray(rng.integers(0, 256, size=blocks * size, dtype=np.uint8).tobytes())
    for b in range(blocks):
        for offset in HALVES[name]:
            value = np.float16(rng.uniform(0.0005, 0.005) * (1 if rng.integers(2) else -1))
            raw[b * size + offset:b * size + offset + 2] = value.tobytes()
    return bytes(raw)


def file_rows(spec: str, name: str, rows: int) -> tuple[bytes, str]:
    path, tensor_name = spec.split(":")
    reader = GGUFReader(path)
    tensor = next(t for t in reader.tensors if t.name == tensor_name)
    type_id, n, size = TYPES[name]
    assert int(tensor.tensor_type) == type_id, f"{tensor_name} is {tensor.tensor_type.name}, not {name}"
    row_bytes = int(tensor.shape[0]) // n * size
    data = bytes(np.asarray(tensor.data).tobytes())
    # The first COLUMNS elements of `rows` rows spread through the matrix.
    total = len(data) // row_bytes
    picks = [r * (total // rows) for r in range(rows)]
    return b"".join(data[r * row_bytes:r * row_bytes + COLUMNS // n * size] for r in picks), \
        f"{path.split('/')[-1]} {tensor_name} rows {picks}, first {COLUMNS} columns"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ggml", required=True, help="directory holding libggml-base.so and libggml-cpu.so")
    parser.add_argument("--file", action="append", default=[], help="type=path:tensor (blocks from a file)")
    args = parser.parse_args()
    base = ctypes.CDLL(f"{args.ggml}/libggml-base.so", mode=ctypes.RTLD_GLOBAL)
    cpu = ctypes.CDLL(f"{args.ggml}/libggml-cpu.so", mode=ctypes.RTLD_GLOBAL)
    cpu.ggml_cpu_init()
    cpu.ggml_get_type_traits_cpu.restype = ctypes.POINTER(TypeTraitsCPU)
    base.ggml_get_type_traits.restype = ctypes.POINTER(TypeTraits)
    files = dict(spec.split("=", 1) for spec in args.file)
    x = activations()
    rng = np.random.default_rng(2026)
    out = {"columns": COLUMNS, "tokens": TOKENS, "engine": "llama.cpp ggml (see README.md)", "cases": []}
    for name, (type_id, n, size) in TYPES.items():
        traits = cpu.ggml_get_type_traits_cpu(type_id).contents
        to_float = TO_FLOAT(base.ggml_get_type_traits(type_id).contents.to_float)
        act_type = traits.vec_dot_type
        act_size = ACTIVATION_BYTES[act_type] * COLUMNS // (32 if act_type != 15 else 256)
        from_float = FROM_FLOAT(cpu.ggml_get_type_traits_cpu(act_type).contents.from_float)
        vec_dot = VEC_DOT(traits.vec_dot)
        sources = [("random", random_rows(name, 4, rng), "random bytes, f16 scales 0.0005...0.005")]
        if name in files:
            data, where = file_rows(files[name], name, 4)
            sources.append(("file", data, where))
        for kind, weights, where in sources:
            rows = len(weights) // (COLUMNS // n * size)
            deq = np.zeros(rows * COLUMNS, dtype=np.float32)
            wbuf = ctypes.create_string_buffer(weights, len(weights))
            to_float(ctypes.addressof(wbuf), deq.ctypes.data, rows * COLUMNS)
            numpy = gq.dequantize(np.frombuffer(weights, dtype=np.uint8), GGMLQuantizationType(type_id)).reshape(-1)
            assert np.array_equal(deq.view(np.uint32), numpy.astype(np.float32).view(np.uint32)), f"{name}: gguf-py differs"
            acts, dots = [], []
            for t in range(TOKENS):
                qx = ctypes.create_string_buffer(act_size)
                row = np.ascontiguousarray(x[t])
                from_float(row.ctypes.data, ctypes.addressof(qx), COLUMNS)
                acts.append(qx.raw)
                for r in range(rows):
                    s = ctypes.c_float()
                    vec_dot(COLUMNS, ctypes.addressof(s), 0, ctypes.addressof(wbuf) + r * (COLUMNS // n * size), 0,
                            ctypes.addressof(qx), 0, 1)
                    dots.append(s.value)
            out["cases"].append({
                "type": name, "source": kind, "where": where, "rows": rows,
                "weights": weights.hex(),
                "dequantized_xxh64": f"{xxh64(deq.tobytes()):016x}",
                "dequantized_first": [float(v) for v in deq[:8]],
                "activation_type": {8: "q8_0", 9: "q8_1", 15: "q8_K"}[act_type],
                "activations_xxh64": [f"{xxh64(a):016x}" for a in acts],
                "dots": [struct.unpack("<I", struct.pack("<f", d))[0] for d in dots],  # float32 bits, [token][row]
            })
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
