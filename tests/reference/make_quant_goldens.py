#!/usr/bin/env python3
"""Golden files for kernels/quant: block bytes and their dequantization by the reference
`gguf` Python package (gguf.quants, written to match ggml-quants.c).

Run with the reference env (not needed in CI, which reads the committed outputs):
    /tmp/refenv/bin/python tests/reference/make_quant_goldens.py [model.gguf]

Writes tests/data/quant/:
  <TYPE>.blocks  raw bytes of random blocks (any bit pattern, except f16 scale fields, which
                 hold finite values of a realistic size so no NaN/Inf appears)
  <TYPE>.f32     gguf.quants.dequantize of those bytes, little-endian float32
  q8_0_quantize.in.f32 / .blocks   floats and gguf.quants.quantize(..., Q8_0) of them
  model_<tensor>.f32  first rows of real tensors of the default model, dequantized by gguf
                 (manifest.json lists tensor name, type and rows)
"""
import json
import os
import sys

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import GGUFReader
from gguf.quants import dequantize, quantize

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "quant")
DEFAULT_MODEL = os.path.expanduser(
    "~/.local/share/pgpp/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf")

# type: (block elements, block bytes, offsets of positive f16 scales, offsets of signed f16 fields)
BLOCKS = {
    "Q4_0": (T.Q4_0, 32, 18, [0], []),
    "Q4_1": (T.Q4_1, 32, 20, [0], [2]),
    "Q5_0": (T.Q5_0, 32, 22, [0], []),
    "Q5_1": (T.Q5_1, 32, 24, [0], [2]),
    "Q8_0": (T.Q8_0, 32, 34, [0], []),
    "Q2_K": (T.Q2_K, 256, 84, [80], [82]),
    "Q3_K": (T.Q3_K, 256, 110, [108], []),
    "Q4_K": (T.Q4_K, 256, 144, [0], [2]),
    "Q5_K": (T.Q5_K, 256, 176, [0], [2]),
    "Q6_K": (T.Q6_K, 256, 210, [208], []),
}


def f16_bytes(values):
    return np.asarray(values, dtype=np.float16).view(np.uint8).reshape(-1, 2)


def main():
    rng = np.random.default_rng(20261123)
    os.makedirs(OUT, exist_ok=True)
    for name, (qtype, elems, nbytes, scales, signed) in BLOCKS.items():
        n_blocks = 8 if elems == 32 else 4
        raw = rng.integers(0, 256, size=(n_blocks, nbytes), dtype=np.uint8)
        for off in scales:
            raw[:, off:off + 2] = f16_bytes(rng.uniform(0.001, 0.05, n_blocks))
        for off in signed:
            raw[:, off:off + 2] = f16_bytes(rng.uniform(-0.05, 0.05, n_blocks))
        values = dequantize(raw.reshape(1, -1), qtype).astype(np.float32).reshape(-1)
        assert values.size == n_blocks * elems and np.all(np.isfinite(values))
        raw.tofile(os.path.join(OUT, f"{name}.blocks"))
        values.tofile(os.path.join(OUT, f"{name}.f32"))

    # Plain float types: F16 and BF16 bit patterns (finite ones) and their float values.
    h = rng.standard_normal(64).astype(np.float16)
    h.view(np.uint8).tofile(os.path.join(OUT, "F16.blocks"))
    dequantize(h.view(np.uint8).reshape(1, -1), T.F16).astype(np.float32).tofile(os.path.join(OUT, "F16.f32"))
    f = rng.standard_normal(64).astype(np.float32)
    bf = (f.view(np.uint32) >> 16).astype(np.uint16)
    bf.view(np.uint8).tofile(os.path.join(OUT, "BF16.blocks"))
    dequantize(bf.view(np.uint8).reshape(1, -1), T.BF16).astype(np.float32).tofile(os.path.join(OUT, "BF16.f32"))

    # Q8_0 quantization, bit-exact with ggml's reference quantizer.
    x = (rng.standard_normal(8 * 32) * rng.uniform(0.01, 10, 8 * 32)).astype(np.float32)
    x[:32] = 0.0  # an all-zero block
    x.tofile(os.path.join(OUT, "q8_0_quantize.in.f32"))
    quantize(x.reshape(1, -1), T.Q8_0).tofile(os.path.join(OUT, "q8_0_quantize.blocks"))

    # Real tensors of the default model: the first rows, dequantized by gguf.
    model = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_MODEL
    reader = GGUFReader(model)
    manifest = []
    for tensor_name, rows in (("blk.0.ffn_up.weight", 4), ("token_embd.weight", 4),
                              ("blk.0.attn_q.weight", 2)):
        t = next(t for t in reader.tensors if t.name == tensor_name)
        first = np.asarray(t.data)[:rows]
        values = dequantize(first, t.tensor_type).astype(np.float32)
        file = "model_" + tensor_name.replace(".", "_") + ".f32"
        values.tofile(os.path.join(OUT, file))
        manifest.append({"tensor": tensor_name, "type": t.tensor_type.name, "rows": rows,
                         "row_length": int(values.shape[-1]), "file": file})
    with open(os.path.join(OUT, "manifest.json"), "w") as fh:
        json.dump({"model": os.path.basename(model), "tensors": manifest}, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
