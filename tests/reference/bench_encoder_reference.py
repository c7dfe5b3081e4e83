#!/usr/bin/env python3
"""The reference's encoder speed, to compare with `pgpp bench encoder` (not run by CI):
sentence-transformers on PyTorch CPU, the same passages (app/cli/bench_encoder.cpp's
bench_passage), batch 32, whole batches for at least --min-seconds per length.

    HF_HUB_OFFLINE=1 /tmp/refenv/bin/python tests/reference/bench_encoder_reference.py \
        ~/.local/share/pgpp/models/all-minilm-l6-v2 --threads 2
Prints the same JSON rows as `pgpp bench encoder --json`.
"""
import argparse
import json
import resource
import time

import torch
from sentence_transformers import SentenceTransformer

WORDS = ["the", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog"]


def passage(tokens):
    return " ".join(WORDS[i % 9] for i in range(tokens - 2))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lengths", type=int, nargs="+", default=[32, 128, 256])
    ap.add_argument("--min-seconds", type=float, default=3.0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model = SentenceTransformer(a.model, device="cpu")
    model.encode([passage(16)] * 2)
    rows = []
    for n in a.lengths:
        batch = [passage(n)] * a.batch
        assert len(model.tokenizer(batch[0])["input_ids"]) == n
        done, start, cpu0 = 0, time.perf_counter(), time.process_time()
        while True:
            model.encode(batch, batch_size=a.batch)
            done += len(batch)
            secs = time.perf_counter() - start
            cpu = time.process_time() - cpu0
            if secs >= a.min_seconds:
                break
        setting = f"tokens={n} batch={a.batch} threads={a.threads}"
        rows.append({"bench": "encoder-reference", "metric": "passages_per_s", "setting": setting,
                     "value": done / secs, "unit": "1/s"})
        rows.append({"bench": "encoder-reference", "metric": "passages_per_cpu_s", "setting": setting,
                     "value": done / cpu, "unit": "1/s"})
    rows.append({"bench": "encoder-reference", "metric": "peak_memory", "setting": "torch " + torch.__version__,
                 "value": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, "unit": "MiB"})
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
