#!/usr/bin/env python3
"""Golden token ids and chat prompts for tests/llm/tokenizer_test.cpp and chat_template_test.cpp.

Run in the reference env (HF tokenizers + transformers + gguf), not in CI:

    HF_HUB_OFFLINE=1 /tmp/refenv/bin/python tests/reference/make_tokenizer_goldens.py \
        --models ~/.local/share/pgpp/models

Reference tokenizers, built from the same GGUF files our C++ reads:
  * smollm2  (gpt2 BPE, pre=smollm): HF `tokenizers` BPE from the GGUF vocab and merges with the
    pre-tokenizer of SmolLM2's own tokenizer.json: Sequence[Digits(individual_digits=True),
    ByteLevel(add_prefix_space=False, use_regex=True)]; control tokens as special added tokens.
    (transformers' GGUF converter drops the Digits step, which changes e.g. "  1"; we follow the
    model's real tokenizer, as llama.cpp's `smollm` pre-type does.)
  * llama-bpe (Llama 3) and qwen2: BPE with Split(<the model's regex>, isolated) +
    ByteLevel(use_regex=False); Llama 3 sets ignore_merges, Qwen2 normalizes to NFC.
  * llama-spm (Llama 2's SentencePiece vocabulary): transformers
    AutoTokenizer.from_pretrained(dir, gguf_file=...) (its GGUF converter: BPE with byte
    fallback, merges from the scores), with the normalizer of Llama 2's own tokenizer.json
    (Prepend("▁") + Replace(" ", "▁"), no pre-tokenizer) in place of the converter's Metaspace.
Each reference is first checked against llama.cpp's own test pairs (<vocab>.gguf.inp/.out,
produced by the models' original HF tokenizers) where those files are present.

Output: tests/data/tokenizer/<name>.tsv, one line per string:
    hex(utf-8 text) TAB ids(parse_special=True) TAB ids(parse_special=False)
(no BOS in either; ids separated by spaces), and tests/data/tokenizer/chat_templates.tsv.
"""
import argparse
import hashlib
import os
import random
import sys

import gguf
from tokenizers import Regex, Tokenizer, AddedToken, decoders, normalizers, pre_tokenizers
from tokenizers.models import BPE

LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
               r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

CONTROL = 3
USER_DEFINED = 4


def read_vocab(path):
    r = gguf.GGUFReader(path)
    f = r.fields

    def strings(key):
        fld = f[key]
        return [bytes(fld.parts[i]).decode("utf-8") for i in fld.data]

    def ints(key):
        fld = f[key]
        return [int(fld.parts[i][0]) for i in fld.data]

    tokens = strings("tokenizer.ggml.tokens")
    types = ints("tokenizer.ggml.token_type") if "tokenizer.ggml.token_type" in f else [1] * len(tokens)
    merges = strings("tokenizer.ggml.merges") if "tokenizer.ggml.merges" in f else []
    template = None
    if "tokenizer.chat_template" in f:
        template = f["tokenizer.chat_template"].contents()
    return tokens, types, merges, template


def byte_level_bpe(path, splitter, ignore_merges=False, nfc=False):
    tokens, types, merges, _ = read_vocab(path)
    vocab = {t: i for i, t in enumerate(tokens)}
    pairs = [tuple(m.split(" ", 1)) for m in merges]
    tok = Tokenizer(BPE(vocab, pairs, ignore_merges=ignore_merges))
    if nfc:
        tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = splitter
    tok.decoder = decoders.ByteLevel()
    specials = [AddedToken(t, special=True, normalized=False)
                for t, ty in zip(tokens, types) if ty == CONTROL]
    tok.add_special_tokens(specials)
    users = [AddedToken(t, special=False, normalized=False)
             for t, ty in zip(tokens, types) if ty == USER_DEFINED]
    if users:
        tok.add_tokens(users)
    return tok


def make_reference(name, path):
    if name == "smollm2":
        return byte_level_bpe(path, pre_tokenizers.Sequence([
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]))
    if name in ("llama-bpe", "qwen2"):
        regex = LLAMA3_REGEX if name == "llama-bpe" else QWEN2_REGEX
        return byte_level_bpe(path, pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(regex), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]),
            ignore_merges=(name == "llama-bpe"), nfc=(name == "qwen2"))
    if name == "llama-spm":
        from transformers import AutoTokenizer
        t = AutoTokenizer.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path))
        tok = t.backend_tokenizer
        # The converter's Metaspace(prepend_scheme="first") is not what Llama's own
        # tokenizer.json does (it fails llama.cpp's pairs on leading spaces): the original puts
        # "▁" before every stretch of text between special tokens and turns spaces into "▁".
        tok.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"),
                                               normalizers.Replace(" ", "\u2581")])
        tok.pre_tokenizer = None
        return tok
    raise ValueError(name)


def encode(tok, text, parse_special):
    tok.encode_special_tokens = not parse_special
    ids = tok.encode(text, add_special_tokens=False).ids
    tok.encode_special_tokens = False
    return ids


def check_against_llama_cpp(name, tok, path):
    """llama.cpp's test pairs were made with the models' original HF tokenizers."""
    inp, out = path + ".inp", path + ".out"
    if not (os.path.exists(inp) and os.path.exists(out)):
        print(f"{name}: no llama.cpp test pairs next to {path}; skipping the cross-check")
        return
    texts = open(inp, encoding="utf-8").read().split("\n__ggml_vocab_test__\n")
    lines = open(out, encoding="utf-8").read().split("\n")
    bad = 0
    for text, line in zip(texts, lines):
        want = [int(x) for x in line.split()]
        got = encode(tok, text, parse_special=True)
        if got != want:
            bad += 1
            print(f"  {name}: reference differs from llama.cpp's pair for {text!r}: {got} vs {want}")
    print(f"{name}: {len(texts) - bad}/{len(texts)} llama.cpp test pairs agree")


def test_strings(specials):
    s = [
        "", " ", "  ", "   ", "\t", "\n", "\n\n", "\n\n\n", "\t\n", " \n", "\r\n", "\r\n\r\n", " \t \n ",
        "Hello", "Hello world", " Hello world", "Hello  world", "Hello   world  ", "hello\nworld",
        "Hello, world!", "HELLO WORLD", "hello world!!!", "a", "I", "I'm", "I'M", "you're", "YOU'RE",
        "they've", "we'll", "he'd", "it's", "It'S", "don't", "can't", "'s", "'", "''", "'''",
        "ain't 'tis o'clock", "rock 'n' roll", "l'homme", "d'accord",
        "The quick brown fox jumps over the lazy dog.",
        "PrivateGPT++ answers questions about a person's private PDFs on their own machine.",
        "1", "12", "123", "1234", "12345", "1234567", "3.14159", "-42", "+1.5e-10", "0x1F", "1,000,000",
        "2024-11-23", "12:34:56", "$100.00", "100%", "1st 2nd 3rd 4th", " 1", "  1", "   12", "a1", "a 1",
        "a  1", "1a", "1 a", "v1.2.3", "Ⅻ ½ ² ³ ١٢٣ ۴ ५",
        "Grüße aus München! Straße, Äpfel, Öl, Übung.",
        "Ärger über Öffnungszeiten: Donaudampfschifffahrtsgesellschaftskapitän",
        "Français : où est la bibliothèque ? Ça coûte 5 €. L'été à Noël.",
        "élève, naïve, café, crème brûlée, façade, cœur",
        "Привет, мир! Как дела? Съешь же ещё этих мягких французских булок.",
        "Ёжик в тумане", "中文测试：你好，世界！", "我喜欢吃苹果和香蕉。", "日本語のテキスト、カタカナとひらがな。",
        "東京は日本の首都です。", "한국어 텍스트입니다. 안녕하세요!", "مرحبا بالعالم", "السلام عليكم ورحمة الله",
        "שלום עולם", "Γειά σου Κόσμε", "नमस्ते दुनिया", "สวัสดีชาวโลก", "Tiếng Việt có dấu",
        "😀", "😀😃😄", "👍🏽", "👨‍👩‍👧‍👦", "🇩🇪🇫🇷", "I ❤️ NY", "emoji😀in😃text", " 🤖 robot",
        "∑ ∫ √ ∞ ≠ ≤ ≥ ± × ÷", "→ ← ↑ ↓ ⇒", "“quotes” ‘single’ «guillemets» „Anführung“",
        "em—dash en–dash … ellipsis", "non\u00a0breaking\u00a0space", "zero\u200bwidth", "soft\u00adhyphen",
        "tab\tseparated\tvalues", "trailing spaces   ", "   leading spaces", "mixed \t \n whitespace",
        "line1\nline2\r\nline3\rline4", "a\n\nb\n\n\nc", "    indented code", "\t\tdouble tab",
        "def f(x):\n    return x * 2\n", "for (int i = 0; i < n; ++i) { sum += a[i]; }",
        "#include <stdio.h>\nint main(void) { printf(\"hi\\n\"); return 0; }",
        "x = {'a': 1, \"b\": [2, 3]}", "if (a && b || !c) return;", "SELECT * FROM t WHERE id = 42;",
        "<html><body><p>Hello</p></body></html>", "https://example.com/path?q=1&r=2#frag",
        "user@example.org", "C:\\Users\\name\\file.txt", "/usr/local/bin/python3", "snake_case_name",
        "camelCaseName", "SCREAMING_CASE", "kebab-case-name", "__init__", "a.b.c.d", "!!!???...",
        "<<>>", "[[]]", "{{}}", "((()))", "***bold***", "~~strike~~", "`code`", "```python\nprint(1)\n```",
        "a" * 100, "ab" * 60, "Pneumonoultramicroscopicsilicovolcanoconiosis",
        "Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz",
        "x" * 300 + " y", "1" * 50, " " * 40 + "x", "\n" * 20 + "x", "-" * 80, "=" * 33, "." * 17,
        "\u00e9 vs e\u0301", "Å vs A\u030a", "ﬁ ligature", "Ｆｕｌｌｗｉｄｔｈ", "ｶﾀｶﾅ",
        "İstanbul ıi", "ß ẞ", "ǅ ǈ ǋ", "ʼn", "\u0301 lone accent",
    ]
    for sp in specials:
        s += [sp, f"{sp}Hello", f"Hello{sp}", f"a {sp} b", f"{sp}\n{sp}", f"x{sp}{sp}y", f" {sp}"]
    if len(specials) >= 2:
        a, b = specials[0], specials[1]
        s += [f"{a}user\nHi there!{b}\n{a}assistant\n", f"{a}{b}", f"{a}system\nYou are kind.{b}"]
    # Deterministic random mixtures of the above pieces: words, spaces, digits and scripts.
    rng = random.Random(20261123)
    alphabet = ["a", "Z", "é", "ß", "я", "中", "の", "한", "ع", "😀", "1", "9", " ", "  ", "\n", "\t", ".",
                ",", "'s", "'", "-", "_", "(", ")", "€", "\u00a0", "\r\n", "Hello", " world", "123"]
    while len(s) < 330:
        n = rng.randint(1, 24)
        s.append("".join(rng.choice(alphabet) for _ in range(n)))
    return s


CHAT_CONVERSATION = [
    {"role": "system", "content": "You answer from the sources."},
    {"role": "user", "content": "What is in report.pdf?"},
    {"role": "assistant", "content": "A budget table [1]."},
    {"role": "user", "content": "And on page 2?"},
]
NO_SYSTEM = CHAT_CONVERSATION[1:]

# The official templates, as facts: Llama 3 (meta-llama/Meta-Llama-3-8B-Instruct
# tokenizer_config.json) and Llama 2 (meta-llama/Llama-2-7b-chat-hf tokenizer_config.json).
LLAMA3_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'"
    "+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
    "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}")
LLAMA2_TEMPLATE = (
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
    "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
    "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{% endif %}{% if loop.index0 == 0 and system_message != false %}"
    "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
    "{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}"
    "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
    "{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}")


def render(template, messages, add_generation_prompt, bos, eos):
    from transformers.utils.chat_template_utils import render_jinja_template
    out, _ = render_jinja_template(conversations=[messages], chat_template=template,
                                   add_generation_prompt=add_generation_prompt,
                                   bos_token=bos, eos_token=eos)
    return out[0]


def hexs(text):
    return text.encode("utf-8").hex()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=os.path.expanduser("~/.local/share/pgpp/models"))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "data", "tokenizer"))
    args = ap.parse_args()
    vocabs = {
        "smollm2": os.path.join(args.models, "smollm2-135m-instruct", "SmolLM2-135M-Instruct.Q4_1.gguf"),
        "llama-spm": os.path.join(args.models, "llama-vocabs", "ggml-vocab-llama-spm.gguf"),
        "llama-bpe": os.path.join(args.models, "llama-vocabs", "ggml-vocab-llama-bpe.gguf"),
        "qwen2": os.path.join(args.models, "llama-vocabs", "ggml-vocab-qwen2.gguf"),
    }
    os.makedirs(args.out, exist_ok=True)
    smol_template = None
    qwen2_template = None
    for name, path in vocabs.items():
        if not os.path.exists(path):
            sys.exit(f"{path} is missing: run packaging/setup.sh --no-build first")
        tokens, types, _, template = read_vocab(path)
        if name == "smollm2":
            smol_template = template
        if name == "qwen2":
            qwen2_template = template
        tok = make_reference(name, path)
        check_against_llama_cpp(name, tok, path)
        specials = [t for t, ty in zip(tokens, types) if ty == CONTROL][:3]
        if name == "smollm2":
            specials = ["<|im_start|>", "<|im_end|>", "<|endoftext|>"]
        elif name == "llama-bpe":
            specials = ["<|begin_of_text|>", "<|eot_id|>", "<|start_header_id|>"]
        elif name == "qwen2":
            # [PAD151650] is a user-defined token: recognised even without parse_special.
            specials = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "[PAD151650]"]
        else:
            specials = ["<s>", "</s>"]
        strings = test_strings(specials)
        sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
        dest = os.path.join(args.out, f"{name}.tsv")
        with open(dest, "w", encoding="ascii", newline="\n") as out:
            out.write(f"# {os.path.basename(path)} sha256 {sha}; made by "
                      f"tests/reference/make_tokenizer_goldens.py\n")
            out.write("# hex(text)\tids(parse_special=true)\tids(parse_special=false)\n")
            for text in strings:
                a = encode(tok, text, True)
                b = encode(tok, text, False)
                out.write(f"{hexs(text)}\t{' '.join(map(str, a))}\t{' '.join(map(str, b))}\n")
        print(f"{name}: wrote {len(strings)} strings to {dest} ({os.path.getsize(dest)} bytes)")

    # Chat templates: SmolLM2's and Qwen2's real templates from their GGUFs, the official Llama 3 / Llama 2
    # templates. One line each: format, case, hex(rendered prompt).
    dest = os.path.join(args.out, "chat_templates.tsv")
    with open(dest, "w", encoding="ascii", newline="\n") as out:
        out.write("# format\tcase\thex(prompt); made by tests/reference/make_tokenizer_goldens.py\n")
        cases = [("full", CHAT_CONVERSATION, True), ("full_no_prompt", CHAT_CONVERSATION, False),
                 ("no_system", NO_SYSTEM, True)]
        for fmt, template, bos, eos in [("chatml", smol_template, "<|im_start|>", "<|im_end|>"),
                                        ("chatml-qwen2", qwen2_template, "<|endoftext|>", "<|im_end|>"),
                                        ("llama3", LLAMA3_TEMPLATE, "<|begin_of_text|>", "<|eot_id|>"),
                                        ("llama2", LLAMA2_TEMPLATE, "<s>", "</s>")]:
            for case, messages, gen in cases:
                out.write(f"{fmt}\t{case}\t{hexs(render(template, messages, gen, bos, eos))}\n")
    print(f"chat templates: wrote {dest}")


if __name__ == "__main__":
    main()
