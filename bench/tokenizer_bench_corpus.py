#!/usr/bin/python3
"""Writes the tokenizer benchmark corpora (one text per line, plain UTF-8).

  tokenizer_bench_corpus.py <tokenizer.json> <corpus.txt> <kjv.txt> <out_dir>

english.txt: the King James Bible (one verse per line) followed by the
English prose texts of tests/tokenizer/corpus.txt.
chinese.txt: ~4 MB of fresh Chinese prose: the Chinese texts of corpus.txt,
then sentences built from the DeepSeek-V3 vocabulary's all-CJK tokens drawn
with Zipf-like weights (lower id = more frequent), with Chinese punctuation,
some numbers and an occasional Latin word. Deterministic (fixed seed), so
almost every line is new text (a cold word cache sees mostly misses).
"""
import json
import os
import random
import re
import sys

tok_path, corpus_path, kjv_path, out_dir = sys.argv[1:5]
os.makedirs(out_dir, exist_ok=True)
texts = [json.loads(l) for l in open(corpus_path, encoding="utf-8") if l.strip()]

with open(os.path.join(out_dir, "english.txt"), "w", encoding="utf-8") as f:
    for line in open(kjv_path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line:
            f.write(line + "\n")
    for t in texts:
        if "\n" not in t and all(ord(c) < 128 for c in t) and len(re.findall("[A-Za-z]", t)) > 0.5 * len(t):
            f.write(t + "\n")

# GPT-2 byte-level alphabet, to read the vocabulary back as text.
bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
cs = bs[:]
n = 0
for b in range(256):
    if b not in bs:
        bs.append(b)
        cs.append(256 + n)
        n += 1
decode = {chr(c): b for b, c in zip(bs, cs)}
vocab = json.load(open(tok_path, encoding="utf-8"))["model"]["vocab"]
words = []
for token, tid in sorted(vocab.items(), key=lambda kv: kv[1]):
    try:
        s = bytes(decode[c] for c in token).decode("utf-8")
    except (KeyError, UnicodeDecodeError):
        continue
    if s and all("\u4e00" <= c <= "\u9fa5" for c in s):
        words.append(s)
cum = []
acc = 0.0
for i in range(len(words)):
    acc += 1.0 / (i + 10)
    cum.append(acc)
rng = random.Random(20261129)
latin = ["AI", "GPU", "Python", "DeepSeek", "API", "CPU", "Transformer", "OK"]
with open(os.path.join(out_dir, "chinese.txt"), "w", encoding="utf-8") as f:
    for t in texts:
        if "\n" not in t and len(re.findall("[\u4e00-\u9fff]", t)) > 0.3 * len(t) and not re.search("[\u3040-\u30ff]", t):
            f.write(t + "\n")
    size = 0
    while size < 4_000_000:
        line = []
        for _ in range(rng.randint(1, 4)):
            parts = []
            for _ in range(rng.randint(1, 3)):
                clause = "".join(rng.choices(words, cum_weights=cum, k=rng.randint(3, 12)))
                r = rng.random()
                if r < 0.08:
                    clause += str(rng.randint(1, 2030)) + rng.choice("年月日个人万")
                elif r < 0.12:
                    clause += rng.choice(latin)
                parts.append(clause)
            line.append("，".join(parts) + rng.choice("。。。！？；"))
        s = "".join(line)
        if rng.random() < 0.1:
            s = "“" + s + "”"
        f.write(s + "\n")
        size += len(s.encode("utf-8")) + 1
