#!/usr/bin/env python3
"""Golden outputs of the reference encoder (HF tokenizers + sentence-transformers on PyTorch CPU)
for tests/embed/. Not run by CI: run it by hand when the default encoder or the cases change.

    HF_HUB_OFFLINE=1 /tmp/refenv/bin/python tests/reference/make_encoder_goldens.py \
        ~/.local/share/pgpp/models/all-minilm-l6-v2 tests/data/encoder

Writes:
  tokens.jsonl      one line per string: {"text", "ids", "offsets"}; offsets are UTF-8 byte
                    ranges into the text ([0,0] for [CLS]/[SEP]), truncation at max_seq_length.
  embed_texts.json  the texts whose embeddings are stored, in order.
  embeddings.f32    n x dim little-endian float32, the reference's normalized embeddings.
  embed_meta.json   n, dim, model max tokens and the library versions used.
"""
import json
import random
import struct
import sys
from pathlib import Path

import numpy as np
import sentence_transformers
import tokenizers
import torch
from sentence_transformers import SentenceTransformer


def token_cases():
    base = [
        "", " ", "   \t\n  ", "Hello, world!", "hello world", "HELLO WORLD",
        "The quick brown fox jumps over the lazy dog.",
        "unaffable", "Unbelievably, the tokenizer's job isn't trivial.",
        "Résumé of a naïve café owner in Zürich", "ÀÉÎÕÜ àéîõü ñ Ñ ç Ç ß", "Ångström façade coöperate",
        "Der schnelle braune Fuchs springt über den faulen Hund.",
        "Größenänderung der Straßenbahnhaltestelle", "Donaudampfschifffahrtsgesellschaftskapitän",
        "Le cœur a ses raisons que la raison ne connaît point.", "L'été dernier, j'ai visité Montréal.",
        "Привет, мир! Как дела?", "Съешь же ещё этих мягких французских булок.", "ЁЛКА ёлка Йод",
        "中华人民共和国", "我爱自然语言处理。", "日本語のテキストです。", "東京タワーは高い", "カタカナとひらがな",
        "한국어 문장입니다", "Ελληνικά: Καλημέρα κόσμε", "ΣΑΣ σας ς", "עברית שלום", "العربية مرحبا بالعالم",
        "हिन्दी नमस्ते", "ไทย สวัสดี", "Tiếng Việt có dấu", "İstanbul ıi İI",
        "😀", "I ❤️ NY 🗽", "👨‍👩‍👧‍👦 family", "🇫🇷🇩🇪 flags", "🥺🫠 new emoji", "emoji😀inside😀words",
        "def f(x): return x**2 + 1  # square", "int main() { return 0; }", "a[i] = b->c + d.e;",
        "https://example.com/path?query=1&b=2#frag", "user@example.org", "C:\\Users\\me\\file.txt",
        "$100.00 + 5% = €105", "a+b=c; x<y>z; {}[]()", "~!@#$%^&*()_+`-=", "...", "---", "?!?!",
        "word\u00a0nbsp", "a\u2028b\u2029c", "ideographic\u3000space", "tab\tseparated\tvalues",
        "multiple     spaces", "line\nbreaks\r\nhere", "\u200bzero\u200bwidth\u200b", "soft\u00adhyphen",
        "control\x00char", "bell\x07char", "esc\x1b[0m", "del\x7fchar", "\x01\x02\x03", "a\ufffdb",
        "private\ue000use", "arabic\u0600mark", "x\u061cy", "bidi\u202eoverride\u202c",
        "combining e\u0301 a\u0300 o\u0308", "precomposed é à ö", "Ⅻ roman", "ﬁ ligature ﬂ", "ｆｕｌｌｗｉｄｔｈ",
        "x" * 99, "y" * 100, "z" * 101, "supercalifragilisticexpialidocious" * 4,
        "pneumonoultramicroscopicsilicovolcanoconiosis", "a" * 300,
        "hello [SEP] world[CLS]x", "[MASK] token [PAD] and [UNK]", "[cls] lower", "[SEP]",
        "1234567890", "3.14159 2,718 1e-10", "100,000,000", "COVID-19 SARS-CoV-2",
        "e-mail, co-operate, re-enter", "don't won't can't y'all", "«quoted» „German“ “curly” ‘single’",
        "dash – em — minus −", "bullets • · ‣", "math ∑ ∫ √ ∞ ≠ ≤", "arrows → ← ↑", "¿Qué? ¡Hola!",
        "§ 12 Abs. 3", "© ® ™", "°C ± ×÷", "½ ¼ ¾", "x²  y₃", "µ Ω Å", "ǅ ǈ ǋ",
        "\U0002B920 ext-ideograph", "\U0002B820 not-ideograph", "𠀀𠀁", "㐀㐁", "豈更", "丽丸",
        "a\u2e42b", "a\u2e43b", "a\ua8fcb", "a\u1abfb",
    ]
    rng = random.Random(1234)
    # Sentences mixing scripts, punctuation and whitespace, generated deterministically.
    pieces = ["the", "Tokenizer", "über", "naïve", "мир", "東京", "😀", ",", ".", "!!", "(x)",
              "don't", "e\u0301", "\t", "  ", "\n", "\u00a0", "ﬁ", "İ", "ß", "ẞ", "1,000", "v2.0",
              "foo_bar", "#tag", "@user", "a/b", "—", "«", "»", "中", "の", "ф", "Ж", "ς", "Ω"]
    generated = []
    while len(base) + len(generated) < 290:
        n = rng.randint(1, 25)
        generated.append("".join(rng.choice(pieces) + rng.choice(["", " ", " ", " "]) for _ in range(n)))
    long_cases = [
        " ".join(["word"] * 400),  # truncated to 256 tokens
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 40,
        "日本語" * 200,
        ("Straßenbahn über naïve Résumés, ") * 60,
        "🙂 " * 300,
        ("token" * 30 + " ") * 20,
    ]
    # Characters of assorted categories one at a time, between two letters.
    singles = ["a" + chr(c) + "b" for c in [0x00b7, 0x0387, 0x05be, 0x066d, 0x0f0b, 0x2010, 0x2020,
                                             0x203b, 0x2e2e, 0x3001, 0x30fb, 0xfe10, 0xff01, 0xff5e,
                                             0x1f600, 0x00a7, 0x00b6, 0x2044, 0x0024, 0x005e, 0x0060]]
    return base + generated + long_cases + singles


def embed_cases(tok_cases):
    texts = [
        "", "hello", "Hello, world!", "The cat sits on the mat.", "A man is playing a guitar.",
        "Embeddings map sentences to vectors.", "Der Vertrag endet am 31. Dezember.",
        "Le contrat prend fin le 31 décembre.", "Договор заканчивается 31 декабря.", "合同于12月31日结束。",
        "契約は12月31日に終了します。", "I ❤️ emoji 😀🎉", "def add(a, b):\n    return a + b",
        "   leading and trailing spaces   ", "control\x00chars\x07here", "word " * 300,
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 30,
    ]
    rng = random.Random(99)
    pool = [t for t in tok_cases if t.strip()]
    while len(texts) < 110:
        k = rng.randint(1, 12)
        texts.append(" ".join(rng.choice(pool) for _ in range(k)))
    return texts


def main():
    model_dir = Path(sys.argv[1]).expanduser()
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(2)
    model = SentenceTransformer(str(model_dir), device="cpu")
    tok = model.tokenizer
    max_len = model.max_seq_length

    cases = token_cases()
    with open(out / "tokens.jsonl", "w", encoding="utf-8") as f:
        for text in cases:
            enc = tok(text, truncation=True, max_length=max_len, return_offsets_mapping=True)
            offsets = []
            for a, b in enc["offset_mapping"]:
                offsets.append([len(text[:a].encode("utf-8")), len(text[:b].encode("utf-8"))])
            f.write(json.dumps({"text": text, "ids": enc["input_ids"], "offsets": offsets},
                               ensure_ascii=False) + "\n")

    texts = embed_cases(cases)
    emb = model.encode(texts, batch_size=32, convert_to_numpy=True, normalize_embeddings=False)
    emb = emb.astype("<f4")
    (out / "embeddings.f32").write_bytes(emb.tobytes())
    (out / "embed_texts.json").write_text(json.dumps(texts, ensure_ascii=False, indent=0), encoding="utf-8")
    (out / "embed_meta.json").write_text(json.dumps({
        "n": len(texts), "dim": int(emb.shape[1]), "max_tokens": max_len,
        "norms_min": float(np.linalg.norm(emb, axis=1).min()),
        "sentence_transformers": sentence_transformers.__version__,
        "tokenizers": tokenizers.__version__, "torch": torch.__version__}, indent=1) + "\n")
    print(f"{len(cases)} token cases, {len(texts)} embeddings of dim {emb.shape[1]}")


if __name__ == "__main__":
    main()
