#!/usr/bin/python3
"""Writes tests/tokenizer/corpus.txt: the texts the tokenizer parity test encodes.

Each line is one text as a JSON string literal (so texts may hold newlines,
carriage returns, tabs and any Unicode). Deterministic: a fixed seed and no
input files; run `/usr/bin/python3 tests/tokenizer/make_corpus.py` to rebuild.
"""
import json
import os
import random

rng = random.Random(20261129)

ENGLISH = [
    "The quick brown fox jumps over the lazy dog.",
    "It's a truth universally acknowledged, isn't it? We'll see; they'd agree, I'm sure.",
    "DON'T SHOUT! You've GOT to be kidding, he said -- and she LAUGHED.",
    "In 1969, Apollo 11 landed on the Moon; 600,000,000 people watched on TV.",
    "Mr. O'Neil's e-mail (o.neil@example.com) arrived at 3:45 p.m. on 2024-02-29.",
    "Prices rose 12.5% to $1,234.56 — a record — while the €/£ rate was 0.8571.",
    "She sells sea-shells by the sea-shore; the shells she sells are sea-shells, I'm sure.",
    "Well... I don't know... maybe?! \"Quoted\" and 'single-quoted' text, plus `backticks`.",
    "Transformers use self-attention: softmax(QK^T / sqrt(d_k)) V.",
    "https://huggingface.co/meta-llama/Meta-Llama-3-8B/blob/main/tokenizer.json?download=true#L42",
]
WORDS = ("time person year way day thing man world life hand part child eye woman place work week case "
         "point government company number group problem fact be have do say get make go know take see come "
         "think look want give use find tell ask seem feel try leave call good new first last long great "
         "little own other old right big high different small large next early young important few public "
         "bad same able unbelievable internationalization antidisestablishmentarianism tokenizer").split()
CHINESE = ["我们今天去公园散步，天气非常好。", "人工智能正在改变世界，尤其是大型语言模型。",
           "床前明月光，疑是地上霜。举头望明月，低头思故乡。", "他说：“这不是问题！”然后离开了。",
           "北京是中华人民共和国的首都，人口约2154万。"]
JAPANESE = ["今日はいい天気ですね。散歩に行きましょう！", "東京タワーは高さ333メートルです。",
            "カタカナとひらがな、そして漢字を混ぜて書きます。", "ｶﾀｶﾅ（半角）と全角のＡＢＣ１２３。"]
KOREAN = ["안녕하세요, 만나서 반갑습니다.", "한국어 형태소 분석은 어렵습니다!", "서울의 인구는 약 950만 명입니다."]
ARABIC = ["مرحبا بالعالم! كيف حالك اليوم؟", "اللغة العربية تكتب من اليمين إلى اليسار.", "الرقم ١٢٣٤٥ مكتوب بالأرقام العربية."]
HINDI = ["नमस्ते दुनिया! आप कैसे हैं?", "भारत की राजधानी नई दिल्ली है।", "संख्या १२३४५ देवनागरी अंकों में।"]
OTHER = ["Привет, мир! Как дела?", "Ελληνικά: Γειά σου Κόσμε.", "שלום עולם", "Xin chào thế giới, tiếng Việt có dấu.",
         "ภาษาไทยไม่มีช่องว่างระหว่างคำ", "Zürich, Straße, Ærøskøbing, façade, naïve, café, résumé.",
         "e\u0301 (decomposed) vs \u00e9 (composed); A\u030a vs \u00c5; \u1e9b\u0323 and \u212b (angstrom sign)",
         "Hangul jamo: \u1100\u1161\u11a8 vs \uac01; ﬁ ligature; ｆｕｌｌｗｉｄｔｈ; ① ② ③; ² ³ ½."]
CODE = [
    "def fib(n: int) -> int:\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
    "#include <stdio.h>\nint main(void) {\n\tprintf(\"hello, %s!\\n\", \"world\");\n\treturn 0;\n}\n",
    "fn main() {\n    let v: Vec<i32> = (0..10).map(|x| x * x).collect();\n    println!(\"{:?}\", v);\n}",
    "const add = (a, b) => a + b;\nconsole.log(`sum=${add(2, 3)}`); // 5\n",
    "SELECT id, name FROM users WHERE age >= 18 AND name LIKE '%son' ORDER BY id DESC;",
    "<html>\n  <body class=\"main\">\n    <p>Hello &amp; welcome</p>\n  </body>\n</html>",
    "{\"key\": [1, 2.5, -3e10, true, null], \"nested\": {\"a\": \"b\"}}",
    "for i in range(10):\r\n    print(i)\r\n",
    "    indented    with    many    spaces    ",
    "x+=1;y-=2;z*=3;w/=4;a%=5;b<<=6;c>>=7;d&&=e||f??g;",
    "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"hi\")\n}\n",
    "#!/bin/bash\nset -euo pipefail\nfor f in *.txt; do echo \"$f\"; done\n",
]
EMOJI = ["👍", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "👩🏿‍💻", "🧑‍🤝‍🧑", "❤️", "🇯🇵", "🇺🇸", "😀😃😄😁", "🤖", "🎉🎊",
         "👋🏻👋🏼👋🏽👋🏾👋🏿", "☕", "✈️", "1️⃣", "#️⃣"]
SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>",
            "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<think>", "</think>", "<tool_call>",
            "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜User｜>", "<｜Assistant｜>",
            "<|reserved_special_token_5|>", "<|fim_prefix|>", "<|", "|>", "<｜", "<|im_start", "im_end|>"]
PUNCT = ["...", "!!!", "???", "?!", "—", "–", "«»", "„“", "‘’", "…", "·", "•", "※", "¿¡", "()", "[]", "{}",
         "@#$%^&*", "~~~", "|||", "///", "\\\\", "''", "\"\"", "'s", "'S", "'LL", "'Re", "\u017ft", "--->", "==>"]
SPACES = [" ", "  ", "   ", "\t", "\t\t", "\n", "\n\n", "\r\n", "\r", " \n ", "\u00a0", "\u3000", "\u2003",
          "\u200b", "\ufeff", "\u0085", "\u2028", "\u000b", "\u000c"]


def words(n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def number():
    k = rng.choice([1, 2, 3, 4, 5, 7, 10, 16, 25])
    return "".join(rng.choice("0123456789") for _ in range(k))


def mix():
    parts = []
    for _ in range(rng.randint(2, 8)):
        kind = rng.randrange(11)
        parts.append([
            lambda: rng.choice(ENGLISH), lambda: words(rng.randint(1, 12)), lambda: rng.choice(CHINESE),
            lambda: rng.choice(JAPANESE + KOREAN), lambda: rng.choice(ARABIC + HINDI + OTHER),
            lambda: rng.choice(EMOJI) * rng.randint(1, 3), lambda: rng.choice(SPECIALS), lambda: rng.choice(PUNCT),
            lambda: rng.choice(SPACES) * rng.randint(1, 4), number, lambda: rng.choice(CODE),
        ][kind]())
        parts.append(rng.choice(["", " ", " ", "", "\n", rng.choice(SPACES)]))
    return "".join(parts)


def main():
    texts = []
    texts += ENGLISH + CHINESE + JAPANESE + KOREAN + ARABIC + HINDI + OTHER + CODE + EMOJI + SPECIALS + PUNCT
    texts += [s * n for s in SPACES for n in (1, 3, 17)]
    texts += ["", " ", "a", "A", "'", "0", "00", "000", "0000", "12345678901234567890", "3.14159265358979",
              "1,000,000", "-42", "+7", "1e-9", "0x1F", "٣٤٥", "१२३", "１２３", "Ⅻ", "½"]
    texts += [" " * 1000, "\n" * 200, "\t" * 300, "9" * 500, "a" * 2000, "ab" * 1000, "😀" * 100,
              "的" * 400, " x" * 500, ("word " * 400).strip(), "-" * 300, "=" * 120 + "\n" + "-" * 120]
    for w in rng.sample(WORDS, 40):
        texts += [w, " " + w, w.capitalize(), w.upper(), w + "'s", "  " + w + "  "]
    while len(texts) < 2400:
        texts.append(mix())
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus.txt")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for t in texts:
            f.write(json.dumps(t, ensure_ascii=False) + "\n")
    print(f"wrote {path}: {len(texts)} texts, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
