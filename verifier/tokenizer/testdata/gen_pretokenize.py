#!/usr/bin/python3
"""Generates pretokenize.json, one [pre, text, pieces] per line: random strings split by the HF
pre-tokenizer regexes, evaluated with the Python `regex` module (Debian
python3-regex 2022.10.31), as an oracle independent of the Go splitters.

Run: /usr/bin/python3 gen_pretokenize.py > pretokenize.json

The regexes are those of the tokenizer.json files, with llama.cpp's
ASCII-only case folding for the contractions ('[sS] instead of (?i:'s)).
"default" applies llama.cpp's four fallback regexes in turn, each splitting
the pieces of the previous one into matches and the gaps between them.
The character pool avoids code points whose classes differ between Unicode
versions, and U+001C..U+001F (Python's \\s includes them, Unicode's
White_Space and llama.cpp do not).
"""
import json
import random

import regex

CONTR = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
PATTERNS = {
    "gpt-2": [GPT2],
    "llama-bpe": [CONTR + r"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"],
    "qwen2": [CONTR + r"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"],
    "default": [r"[\p{P}\$\+<=>\^~\|]+", GPT2, r"\p{N}+", r"[0-9][0-9][0-9]"],
}

POOL = (
    list("abcxyzABCXYZ") * 4 + list("0123456789") * 2 + [" "] * 12
    + list("\t\n\r\x0b\x0c") * 2 + ["'"] * 6 + list("sStTdDmMlLrReEvV") * 2
    + list("!?.,;:-_()[]{}<>$+=^~|`\"#%&*/@\\")
    + ["é", "ß", "Ж", "ж", "ا", "中", "文", "ア", "한", "½", "²", "٣", "Ⅻ",
       "\u00a0", "\u2028", "\u3000", "\u0085", "🦙", "😀", "\u200d", "\u0301",
       "€", "—", "…", "\u00ad", "\u2019", "\x00", "\x7f", "\ufffd"]
)


def split(text, pats):
    pieces = [text]
    for p in pats:
        rx = regex.compile(p)
        out = []
        for c in pieces:
            pos = 0
            for m in rx.finditer(c):
                if m.start() > pos:
                    out.append(c[pos:m.start()])
                out.append(m.group())
                pos = m.end()
            if pos < len(c):
                out.append(c[pos:])
        pieces = out
    return pieces


def main():
    rng = random.Random(20250220)
    texts = ["", " ", "  ", "Hello world", "  Hello", "a  b", "a \n\n b", "don't DON'T", "3333", "$12345",
             "x\t\ny", "  \n", "'", "''s", "a'", "¡Hola! ¿Qué?"]
    for _ in range(400):
        texts.append("".join(rng.choice(POOL) for _ in range(rng.randint(1, 24))))
    lines = []
    for name, pats in PATTERNS.items():
        for t in texts:
            lines.append(json.dumps([name, t, split(t, pats)], ensure_ascii=True))
    print("[\n" + ",\n".join(lines) + "\n]")


if __name__ == "__main__":
    main()
