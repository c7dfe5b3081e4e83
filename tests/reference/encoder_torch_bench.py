#!/usr/bin/env python3
"""PyTorch's speed for our GPU encoder to beat (not run by CI; the GPU machine has torch and
transformers but no model files): a randomly initialised all-MiniLM-L6-v2 (BertConfig hidden
384, 6 layers, 12 heads, intermediate 1536, vocab 30522) in FP16 on CUDA, batch 256 x 256
tokens, timed with CUDA events after a warm-up; prints the median passages/s. Random weights
cost the same time as trained ones. Compare with `pgpp bench encoder --device cuda --lengths 256`.

    python3 tests/reference/encoder_torch_bench.py [--batch 256] [--tokens 256] [--runs 30]
"""
import argparse
import statistics

import torch
from transformers import BertConfig, BertModel


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--tokens", type=int, default=256)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--sdpa", action="store_true", help="attn_implementation='sdpa' (default: eager, as HF's BERT)")
    a = ap.parse_args()

    attention = "sdpa" if a.sdpa else "eager"
    config = BertConfig(vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
                        intermediate_size=1536, max_position_embeddings=512, attn_implementation=attention)
    # No pooler: sentence-transformers' mean pooling reads the hidden states only.
    model = BertModel(config, add_pooling_layer=False).half().cuda().eval()
    ids = torch.randint(1000, 30000, (a.batch, a.tokens), device="cuda")
    mask = torch.ones_like(ids)

    def step():
        out = model(input_ids=ids, attention_mask=mask).last_hidden_state
        # Mean pooling + normalisation, as sentence-transformers adds.
        return torch.nn.functional.normalize(out.float().mean(dim=1), dim=1)

    times = []
    with torch.inference_mode():
        for _ in range(5):  # warm-up: kernels chosen, memory pooled
            step()
        torch.cuda.synchronize()
        for _ in range(a.runs):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            step()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end) / 1000.0)
    median = statistics.median(times)
    print(f"{torch.cuda.get_device_name()}: batch {a.batch} x {a.tokens} tokens, "
          f"{config._attn_implementation} attention, median {median * 1e3:.2f} ms: "
          f"{a.batch / median:.0f} passages/s, {a.batch * a.tokens / median:.0f} tokens/s")


if __name__ == "__main__":
    main()
