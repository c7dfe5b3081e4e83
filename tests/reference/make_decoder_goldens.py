#!/usr/bin/env python3
"""Golden logits for the decoder tests (tests/llm/llama_model_test.cpp and friends).

Reference: Hugging Face transformers loading the default GGUF file itself
(`from_pretrained(dir, gguf_file=name)` dequantizes every tensor to fp32 and undoes the Q/K
row permutation llama.cpp's converter applies), run in float64 on the CPU. Token ids come from
the tokenizer transformers builds from the same GGUF, and are stored, so the C++ tests of the
forward pass do not depend on our tokenizer.

Writes tests/data/decoder/smollm2_goldens.json: for each prompt, its token ids; for every
position the top-20 logits and max/min/mean/std of the full logit row; and 64 greedy tokens
with the top-1/top-2 margin of each step (to tell a real divergence from a near-tie).
Writes tests/data/decoder/smollm2_final_logits.f32 beside it: each prompt's full logit row at
its last position (little-endian float32, prompts in order), for a norm-based relative error.

Run (not in CI):  HF_HUB_OFFLINE=1 /tmp/refenv/bin/python tests/reference/make_decoder_goldens.py
"""
import json
import os
import sys
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

MODEL = Path(os.environ.get("PGPP_DECODER", Path.home() / ".local/share/pgpp/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf"))
OUT = Path(__file__).resolve().parents[1] / "data" / "decoder" / "smollm2_goldens.json"
FINAL = OUT.with_name("smollm2_final_logits.f32")
TOP = 20
GREEDY = 64

PROMPTS = [
    # plain text, no template
    "The capital of France is",
    # ChatML, as the model's chat template writes it
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is the boiling point of water at sea level?<|im_end|>\n<|im_start|>assistant\n",
    # code, numbers and punctuation
    "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n    if n < 2:\n        return n\n",
]


def main():
    torch.set_num_threads(2)
    tok = AutoTokenizer.from_pretrained(MODEL.parent, gguf_file=MODEL.name)
    model = AutoModelForCausalLM.from_pretrained(MODEL.parent, gguf_file=MODEL.name, dtype=torch.float32)
    model = model.to(torch.float64).eval()
    final_rows = []
    out = {"model": MODEL.name, "reference": "transformers " + __import__("transformers").__version__ +
           " from the GGUF, dequantized, float64", "top": TOP, "prompts": []}
    for text in PROMPTS:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0]
        final_rows.append(logits[-1].to(torch.float32).numpy().astype("<f4").tobytes())
        positions = []
        for p in range(len(ids)):
            row = logits[p]
            v, i = torch.topk(row, TOP)
            positions.append({
                "top_ids": i.tolist(),
                "top_logits": [round(float(x), 5) for x in v],
                "max": float(row.max()), "min": float(row.min()),
                "mean": float(row.mean()), "std": float(row.std(unbiased=False)),
            })
        # greedy continuation, token by token on the full sequence (no cache subtleties)
        seq = list(ids)
        greedy, margins = [], []
        with torch.no_grad():
            for _ in range(GREEDY):
                row = model(torch.tensor([seq])).logits[0, -1]
                v, i = torch.topk(row, 2)
                greedy.append(int(i[0]))
                margins.append(float(v[0] - v[1]))
                seq.append(int(i[0]))
        out["prompts"].append({"text": text, "ids": ids, "positions": positions,
                               "greedy": greedy, "greedy_margins": margins})
        print(f"{len(ids)} tokens, greedy: {tok.decode(greedy)!r}", file=sys.stderr)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=None, separators=(",", ":")) + "\n")
    FINAL.write_bytes(b"".join(final_rows))
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes), {FINAL}", file=sys.stderr)


if __name__ == "__main__":
    main()
