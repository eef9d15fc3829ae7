#!/usr/bin/python3
"""genc's tokenizer.json (byte-level BPE) reader against Hugging Face's
tokenizers.js (tools/reference/tokenize.mjs).

Writes tokenizer.json files into --work:
  - gpt2.json: GPT-2's tokenizer, built from OpenAI's r50k_base ranks that
    the gpt-tokenizer package ships: the vocabulary is the ranks' byte
    strings through GPT-2's byte-to-unicode map, each merge is the pair a
    token's bytes reduce to under the lower ranks, in rank order, and
    <|endoftext|> is 50256, as in Hugging Face's gpt2 tokenizer.json;
  - small byte-level BPE models trained here on license texts: prefix space
    or not, merges as "a b" strings or [a, b] pairs, no regex split, added
    tokens (special and not), a TemplateProcessing post-processor;
  - damaged and unsupported files, for the error checks of the .test.
For each model, requires genc-tokenize's ids to equal the reference's for
the lines of models/fixtures/heldout.txt and tricky lines (contractions,
digits, runs of spaces, tabs, carriage returns, non-Latin scripts, emoji,
added tokens inside text, malformed UTF-8), genc's decoding of those ids to
equal the reference's, and both decodings of random id sequences to agree.
For GPT-2, also requires tokenizers.js on gpt2.json to give the ids of
gpt-tokenizer's own r50k_base encoder, so the generated file is GPT-2's.

Lines go to both tools on stdin, so no line holds a newline; U+0085 and
U+FEFF are left out: JavaScript's \\s differs there from Oniguruma's, which
Hugging Face's Rust library (and genc) follow.

Usage: tokenizer_json_agreement.py --tool GENC_TOKENIZE --reference DIR
           --work DIR [--fixtures DIR]
"""
import argparse
import base64
import collections
import json
import os
import random
import re
import subprocess
import sys
import time

LICENSES = "/usr/share/common-licenses"
TRAIN_FILES = ["GPL-3", "Apache-2.0", "Artistic", "MPL-2.0"]
TEST_FILES = ["LGPL-2.1", "BSD", "CC0-1.0"]

TRICKY = [
    "",
    " ",
    "     ",
    "  leading and trailing spaces   ",
    "many     inner      spaces",
    "trailing space ",
    "tab\tseparated\t\tvalues\t",
    "   \t  mixed\t \twhitespace \t ",
    "carriage\rreturn inside\r",
    "it's they're we've I'm you'll he'd 'tis",
    "IT'S DON'T We'Re",
    "''quoted'' and 'single' ' x '",
    "'",
    "'s",
    "don't!!! ...??? --- ;-)",
    "numbers 12345 3.14159 1,000,000 and 2024-06-01 x2 2x",
    "\u0661\u0662\u0663 \u2460 \u00bd \u216b 42\u00b2",
    "$100 & 50% off #hashtag @user <tag> {braces} [x]",
    "CamelCaseWordsAndALLCAPS snake_case_words",
    "\\backslash\\ and /slash/",
    "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00dcn\u00efc\u00f6d\u00e9 fa\u00e7ade",
    "combining e\u0301 and a\u0308",
    "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3001\u4e2d\u6587\u6587\u672c\u3002"
    "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8.",
    "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac \u043a\u0438\u0440\u0438\u043b\u043b\u0438\u0446\u0430 "
    "\u05e2\u05d1\u05e8\u05d9\u05ea \u0627\u0644\u0639\u0631\u0628\u064a\u0629 "
    "\u0939\u093f\u0928\u094d\u0926\u0940 \u0e44\u0e17\u0e22",
    "emoji \U0001F600\U0001F44D\U0001F3FD and flags \U0001F1E9\U0001F1EA and "
    "\U0001D518\U0001D52B\U0001D526",
    "no\u00a0break and\u2009thin\u3000ideographic\u2028separator",
    "zero\u200bwidth\u200djoiner",
    "control \x01\x02\x7f\x1b[0m",
    "<|endoftext|>",
    "text<|endoftext|>more text",
    " <|endoftext|> spaced <|endoftext|>",
    "<|endoftext|><|endoftext|>",
    "<|endoftext <|endoftext|",
    "<pad> padded<pad>",
    "say hello world twice: hello worldhello world",
    "a" * 3000,
    "\U0001F600" * 40,
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
]

# Malformed UTF-8: the reference sees U+FFFD per maximal subpart.
MALFORMED = [
    b"bad \xff byte",
    b"truncated \xe2\x82 sequence",
    b"\xed\xa0\x80 encoded surrogate",
    b"overlong \xc0\xaf slash",
    b"\x80\x80 continuation bytes",
    b"four \xf0\x9f\x98 of three",
    b"end \xe2",
]

# Python's re has no \p{L}; close enough for training.
TRAIN_SPLIT = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+(?!\S)|\s+""")


def bytes_to_unicode():
    """GPT-2's map from bytes to the printable characters that stand for them."""
    printable = (list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD))
                 + list(range(0xAE, 0x100)))
    chars, n = {}, 0
    for b in range(256):
        if b in printable:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + n)
            n += 1
    return chars


BYTE_CHARS = bytes_to_unicode()


def symbols(data):
    return "".join(BYTE_CHARS[b] for b in data)


def tokenizer_json(vocab, merges, added=(), add_prefix_space=False, use_regex=True,
                   pair_merges=False, post_processor=None):
    if post_processor is None:
        post_processor = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
                          "use_regex": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": not special, "special": special}
            for c, i, special in added
        ],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": add_prefix_space,
                          "trim_offsets": True, "use_regex": use_regex},
        "post_processor": post_processor,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
            "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
            "ignore_merges": False, "vocab": vocab,
            "merges": [[a, b] for a, b in merges] if pair_merges else [f"{a} {b}" for a, b in merges],
        },
    }


def gpt2_from_ranks(path):
    """GPT-2's vocabulary and merges from a tiktoken rank file."""
    ranks = {}
    with open(path, "rb") as f:
        for line in f:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    merges = []
    for token, rank in sorted(ranks.items(), key=lambda item: item[1]):
        if len(token) < 2:
            continue
        # Byte-pair encode the token with the merges before it: it ends as
        # the two parts its own merge joins.
        parts = [bytes([b]) for b in token]
        while len(parts) > 2:
            best = min(range(len(parts) - 1),
                       key=lambda i: ranks.get(parts[i] + parts[i + 1], 1 << 30))
            if ranks.get(parts[best] + parts[best + 1], 1 << 30) >= rank:
                break
            parts[best:best + 2] = [parts[best] + parts[best + 1]]
        if len(parts) != 2:
            sys.exit(f"r50k token {token!r} (rank {rank}) is not one merge of lower ranks")
        merges.append((symbols(parts[0]), symbols(parts[1])))
    vocab = {symbols(token): rank for token, rank in ranks.items()}
    vocab["<|endoftext|>"] = len(ranks)
    return vocab, merges


def train_bpe(text, merge_count):
    """A byte-level BPE: the most frequent adjacent pair merges, ties to the
    first seen pair, until merge_count merges."""
    words = collections.Counter(symbols(w.encode()) for w in TRAIN_SPLIT.findall(text))
    vocab = {BYTE_CHARS[b]: i for i, b in enumerate(sorted(BYTE_CHARS, key=lambda b: BYTE_CHARS[b]))}
    split = {w: list(w) for w in words}
    merges = []
    for _ in range(merge_count):
        pairs = collections.Counter()
        for w, count in words.items():
            parts = split[w]
            for i in range(len(parts) - 1):
                pairs[parts[i], parts[i + 1]] += count
        if not pairs:
            break
        (a, b), _ = pairs.most_common(1)[0]
        merges.append((a, b))
        vocab.setdefault(a + b, len(vocab))
        for w in words:
            parts, i = split[w], 0
            while i < len(parts) - 1:
                if parts[i] == a and parts[i + 1] == b:
                    parts[i:i + 2] = [a + b]
                i += 1
    return vocab, merges


def run(args, data):
    result = subprocess.run(args, input=data, capture_output=True, timeout=600)
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed ({result.returncode}):\n{result.stderr.decode()}")
    return result.stdout.decode("utf-8").split("\n")[:-1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tool", required=True)
    parser.add_argument("--reference", required=True, help="tools/reference")
    parser.add_argument("--work", required=True)
    parser.add_argument("--fixtures")
    options = parser.parse_args()
    reference = ["node", os.path.join(options.reference, "tokenize.mjs")]
    ranks = os.path.join(options.reference, "node_modules/gpt-tokenizer/data/r50k_base.tiktoken")
    if not os.path.exists(ranks):
        sys.exit(f"{ranks} is missing: run scripts/install-deps.sh")

    def read(name):
        with open(os.path.join(LICENSES, name), encoding="utf-8") as f:
            return f.read()

    heldout = []
    if options.fixtures and os.path.exists(os.path.join(options.fixtures, "heldout.txt")):
        with open(os.path.join(options.fixtures, "heldout.txt"), encoding="utf-8") as f:
            heldout = f.read().split("\n")
    license_lines = [line for name in TEST_FILES for line in read(name).split("\n")][:300]
    lines = [line.encode() for line in license_lines + TRICKY + heldout] + MALFORMED

    vocab, merges = train_bpe("".join(read(name) for name in TRAIN_FILES), 600)
    n = len(vocab)
    added = [("<|endoftext|>", n, True), ("<pad>", n + 1, True), ("hello world", n + 2, False)]
    template = {"type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "<pad>", "type_id": 0}},
                           {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [{"Sequence": {"id": "A", "type_id": 0}},
                         {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {"<pad>": {"id": "<pad>", "ids": [n + 1], "tokens": ["<pad>"]}}}
    gpt2_vocab, gpt2_merges = gpt2_from_ranks(ranks)
    models = {
        "gpt2": tokenizer_json(gpt2_vocab, gpt2_merges, [("<|endoftext|>", 50256, True)]),
        "small prefix": tokenizer_json(vocab, merges, add_prefix_space=True),
        "small pairs": tokenizer_json(vocab, merges, pair_merges=True),
        "small pairs prefix": tokenizer_json(vocab, merges, add_prefix_space=True,
                                             pair_merges=True),
        "small no_regex": tokenizer_json(vocab, merges, use_regex=False),
        "small added": tokenizer_json(vocab, merges, added),
        "small added prefix template": tokenizer_json(vocab, merges, added, add_prefix_space=True,
                                                      post_processor=template),
    }
    # BOS: the template's leading special token, else none; EOS:
    # <|endoftext|>; the vocabulary: the largest id + 1.
    expected_info = {
        "gpt2": "vocab 50257 bos -1 eos 50256",
        "small added": f"vocab {n + 3} bos -1 eos {n}",
        "small added prefix template": f"vocab {n + 3} bos {n + 1} eos {n}",
    }
    for name in models:
        expected_info.setdefault(name, f"vocab {n} bos -1 eos -1")
    os.makedirs(options.work, exist_ok=True)
    failed = False
    rng = random.Random(7)
    for name, model in models.items():
        path = os.path.join(options.work, name.replace(" ", "-") + ".json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(model, f, ensure_ascii=False)
        data = b"".join(line + b"\n" for line in lines)
        start = time.monotonic()
        ours = run([options.tool, path], data)
        seconds = time.monotonic() - start
        theirs = run(reference + ["encode", path], data)
        problems = [f"  line {i}: {lines[i]!r}\n    genc      {a}\n    reference {b}"
                    for i, (a, b) in enumerate(zip(ours, theirs)) if a != b]
        if len(ours) != len(lines) or len(theirs) != len(lines):
            problems.append(f"  {len(ours)} and {len(theirs)} lines for {len(lines)}")

        # Decoding: the reference's ids, and random ids (added tokens,
        # single bytes that split characters, ids past the vocabulary
        # left out: the reference has no rule for them).
        top = max(model["model"]["vocab"].values()) + len(model["added_tokens"])
        random_ids = [" ".join(str(rng.randrange(top + 1)) for _ in range(rng.randrange(1, 30)))
                      for _ in range(200)]
        id_lines = "".join(line + "\n" for line in theirs + random_ids).encode()
        ours_text = run([options.tool, "--decode", path], id_lines)
        theirs_text = run(reference + ["decode", path], id_lines)
        problems += [f"  decoding {ids}\n    genc      {a!r}\n    reference {b!r}"
                     for ids, a, b in zip(theirs + random_ids, ours_text, theirs_text) if a != b]
        if len(ours_text) != len(theirs) + len(random_ids):
            problems.append(f"  {len(ours_text)} decoded lines for {len(theirs) + len(random_ids)}")

        info = run([options.tool, "--info", path], b"")
        if info != [expected_info[name]]:
            problems.append(f"  --info gives {info}, expected {expected_info[name]!r}")

        if name == "gpt2":
            # gpt-tokenizer splits <|endoftext|> differently inside text, so
            # the lines with it are left out: this checks the vocabulary and
            # merges.
            tiktoken = run(reference + ["gpt2-encode"], data)
            problems += [f"  gpt2.json is not GPT-2 on line {i}: {lines[i]!r}\n"
                         f"    tokenizers.js {b}\n    r50k_base     {c}"
                         for i, (b, c) in enumerate(zip(theirs, tiktoken))
                         if b != c and b"<|endoftext|>" not in lines[i]]
            heldout_bytes = "\n".join(heldout).encode()
            print(f"gpt2: encoded {len(heldout)} heldout lines ({len(heldout_bytes)} bytes) "
                  f"and {len(lines) - len(heldout)} others in {seconds:.2f} s")
        if problems:
            failed = True
            print(f"{name}: FAILED, {len(problems)} differences")
            print("\n".join(problems[:10]))
        else:
            print(f"{name}: {len(lines)} lines encode and decode alike")

    # Files genc must refuse, for the .test.
    small = models["small pairs"]
    bad = {
        "wordpiece": dict(small, model={"type": "WordPiece", "unk_token": "[UNK]",
                                        "continuing_subword_prefix": "##",
                                        "max_input_chars_per_word": 100, "vocab": {"[UNK]": 0}}),
        "nfc": dict(small, normalizer={"type": "NFC"}),
        "ignore-merges": dict(small, model=dict(small["model"], ignore_merges=True)),
        "metaspace": dict(small, pre_tokenizer={"type": "Metaspace", "replacement": "\u2581",
                                                "prepend_scheme": "always", "split": True}),
        "lstrip": dict(small, added_tokens=[{"id": n, "content": "<mask>", "single_word": False,
                                             "lstrip": True, "rstrip": False,
                                             "normalized": False, "special": True}]),
        "unknown-field": dict(small, model=dict(small["model"], new_option=1)),
    }
    for name, model in bad.items():
        with open(os.path.join(options.work, f"bad-{name}.json"), "w", encoding="utf-8") as f:
            json.dump(model, f)

    # Damage: truncations and byte changes of a small file load or are an
    # error naming the file (a changed '{' makes it a SentencePiece model's
    # error), never a crash.
    with open(os.path.join(options.work, "small-added.json"), "rb") as f:
        good = f.read()
    damaged_path = os.path.join(options.work, "damaged.json")
    crashes = []
    for trial in range(150):
        if trial % 2:
            damaged = good[:rng.randrange(len(good))]
        else:
            damaged = bytearray(good)
            for _ in range(rng.randrange(1, 4)):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
            damaged = bytes(damaged)
        with open(damaged_path, "wb") as f:
            f.write(damaged)
        result = subprocess.run([options.tool, damaged_path], input=b"a b\n", capture_output=True,
                                timeout=60)
        message = result.stderr.decode("utf-8", "replace")
        if not (result.returncode == 0 or
                (result.returncode == 1 and message.startswith("error: ") and
                 f"'{damaged_path}'" in message)):
            crashes.append(f"  trial {trial}: status {result.returncode}: {message[:200]}")
    if crashes:
        failed = True
        print(f"damaged files: FAILED\n" + "\n".join(crashes[:10]))
    else:
        print("damaged files: 150 load or are refused")
    print("FAILED" if failed else "all models agree")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
