#!/usr/bin/env python3
"""genc's SentencePiece tokenizer against the reference library.

Trains small models with the Python sentencepiece package (BPE, UNIGRAM,
WORD, CHAR; with and without byte fallback; nmt_nfkc, nfkc_cf and identity
normalization; user-defined pieces; other whitespace options) on the
licenses every Debian system has under /usr/share/common-licenses, then
for each model:
  - encodes held-out license lines and tricky lines (non-ASCII, NFKC-affected
    characters, unseen scripts, odd whitespace, control characters, piece
    names) with both and requires equal ids for every line;
  - decodes the reference's ids with genc and requires the reference's text;
  - decodes random id sequences (control, unknown and byte pieces included)
    with both and requires equal text;
  - requires equal vocabulary size, bos and eos ids.
With --fixtures DIR, also checks DIR/tokenizer.model on DIR/heldout.txt.

Usage: tokenizer_agreement.py --tool GENC_TOKENIZE --work DIR [--fixtures DIR]
"""
import argparse
import contextlib
import os
import random
import subprocess
import sys

import sentencepiece as spm

LICENSES = "/usr/share/common-licenses"
TRAIN_FILES = ["GPL-3", "Apache-2.0", "Artistic", "MPL-2.0"]
TEST_FILES = ["LGPL-2.1", "GFDL-1.3", "BSD", "CC0-1.0", "MPL-1.1"]

# Some non-ASCII in the training text, so that models have pieces for it.
TRAIN_EXTRA = [
    "Café, naïve résumé; Ünïcödé façade, über straße.",
    "Ｆｕｌｌ－ｗｉｄｔｈ ＡＢＣ １２３ and ﬁne ligatures, № ½ ™ …",
    "日本語のテキスト、中文文本。한국어 텍스트.",
    "Ελληνικά κείμενα και русский текст.",
]

TRICKY = [
    "",
    " ",
    "     ",
    "  leading and trailing spaces   ",
    "many     inner      spaces",
    "tab\tseparated\tvalues",
    "carriage\rreturn inside",
    "control \x01\x02\x7f characters",
    "Café naïve résumé Ünïcödé façade",
    "decomposed e\u0301 and a\u0308 marks",
    "Ｆｕｌｌ－ｗｉｄｔｈ ＡＢＣ １２３",
    "ligatures ﬁ ﬂ ﬀ and ① ② ③, ℌ ℍ ℕ, ㎏ ㎞",
    "no\u00a0break\u00a0spaces and\u2009thin\u3000ideographic",
    "zero\u200bwidth\u200djoiners\ufeffBOM",
    "soft\u00adhyphen",
    "日本語のテキスト、中文文本。한국어 텍스트.",
    "Ελληνικά κείμενα και русский текст.",
    "unseen: עברית العربية हिन्दी ไทย ქართული",
    "emoji 😀👍🏽 and flags 🇩🇪 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "replacement \ufffd and private use \ue000 and noncharacter \ufdd0",
    "piece names <s> </s> <unk> <pad> <0x41> <sep> ▁ ▁▁x",
    "the symbol ▁ inside▁words and ▁▁ doubled",
    "License (c) <sep> LicenseLicense",
    "digits 0123456789 3.14159 1,000,000",
    "punctuation !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    "x" * 300,
    "ab " * 100,
]

# name, trainer options
MODELS = [
    ("bpe nmt_nfkc", dict(model_type="bpe", vocab_size=500)),
    ("bpe nmt_nfkc byte_fallback", dict(model_type="bpe", vocab_size=600, byte_fallback=True)),
    ("bpe identity", dict(model_type="bpe", vocab_size=500, normalization_rule_name="identity")),
    ("bpe identity byte_fallback", dict(model_type="bpe", vocab_size=600, byte_fallback=True,
                                        normalization_rule_name="identity",
                                        character_coverage=0.99)),
    ("bpe user_defined", dict(model_type="bpe", vocab_size=500,
                              user_defined_symbols=["<sep>", "License", "(c)"])),
    ("bpe llama-style", dict(model_type="bpe", vocab_size=600, byte_fallback=True,
                             normalization_rule_name="identity", remove_extra_whitespaces=False,
                             split_digits=True, allow_whitespace_only_pieces=True)),
    ("unigram nmt_nfkc", dict(model_type="unigram", vocab_size=500)),
    ("unigram nmt_nfkc byte_fallback", dict(model_type="unigram", vocab_size=600,
                                            byte_fallback=True)),
    ("unigram identity", dict(model_type="unigram", vocab_size=500,
                              normalization_rule_name="identity")),
    ("unigram identity byte_fallback", dict(model_type="unigram", vocab_size=600,
                                            byte_fallback=True,
                                            normalization_rule_name="identity",
                                            character_coverage=0.99)),
    ("unigram user_defined", dict(model_type="unigram", vocab_size=500,
                                  user_defined_symbols=["<sep>", "License", "(c)"])),
    ("unigram nfkc_cf no_dummy_prefix", dict(model_type="unigram", vocab_size=500,
                                             normalization_rule_name="nfkc_cf",
                                             add_dummy_prefix=False)),
    ("unigram whitespace_suffix", dict(model_type="unigram", vocab_size=500,
                                       treat_whitespace_as_suffix=True)),
    ("word", dict(model_type="word", vocab_size=800)),
    ("char", dict(model_type="char", vocab_size=120)),
]


@contextlib.contextmanager
def quiet_stderr():
    """The trainer logs to file descriptor 2; keep it out of the test log."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def read_lines(name):
    with open(os.path.join(LICENSES, name), encoding="utf-8") as f:
        return f.read().split("\n")


def run_tool(tool, args, lines):
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    done = subprocess.run([tool, *args], input=data, capture_output=True)
    if done.returncode != 0:
        sys.exit(f"FAILED: {tool} {' '.join(args)}: {done.stderr.decode(errors='replace')}")
    out = done.stdout.split(b"\n")
    if out[-1] != b"" or len(out) - 1 != len(lines):
        sys.exit(f"FAILED: {tool} {' '.join(args)}: {len(out) - 1} output lines for "
                 f"{len(lines)} inputs")
    return [line.decode("utf-8", errors="surrogateescape") for line in out[:-1]]


def unescape(text):
    r"""Undoes genc-tokenize --decode's escapes: \\ and \n."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append("\n" if text[i + 1] == "n" else text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def check_model(tool, name, model_path, lines, rng, random_sequences=100):
    sp = spm.SentencePieceProcessor(model_file=model_path)
    failures = 0

    info = subprocess.run([tool, "--info", model_path], capture_output=True, check=True)
    expected_info = f"vocab {sp.vocab_size()} bos {sp.bos_id()} eos {sp.eos_id()}\n"
    if info.stdout.decode() != expected_info:
        print(f"{name}: --info gives {info.stdout.decode()!r}, reference {expected_info!r}")
        failures += 1

    reference = [sp.encode(line) for line in lines]
    got = run_tool(tool, [model_path], lines)
    for line, ids, mine in zip(lines, reference, got):
        if " ".join(map(str, ids)) != mine:
            failures += 1
            if failures <= 5:
                print(f"{name}: encode({line!r})\n  reference: {ids}\n  genc:      {mine}")

    id_lines = [" ".join(map(str, ids)) for ids in reference]
    decoded = [unescape(text) for text in run_tool(tool, ["--decode", model_path], id_lines)]
    for line, ids, mine in zip(lines, reference, decoded):
        expected = sp.decode(ids)
        if expected != mine:
            failures += 1
            if failures <= 5:
                print(f"{name}: decode({ids}) of {line!r}\n  reference: {expected!r}\n"
                      f"  genc:      {mine!r}")

    sequences = [[rng.randrange(sp.vocab_size()) for _ in range(rng.randrange(1, 24))]
                 for _ in range(random_sequences)]
    decoded = [unescape(text) for text in
               run_tool(tool, ["--decode", model_path], [" ".join(map(str, s)) for s in sequences])]
    for ids, mine in zip(sequences, decoded):
        expected = sp.decode(ids)
        if expected != mine:
            failures += 1
            if failures <= 5:
                print(f"{name}: decode({ids})\n  reference: {expected!r}\n  genc:      {mine!r}")

    if failures:
        print(f"FAILED: {name}: {failures} disagreements")
        return False
    print(f"{name}: {len(lines)} lines encode and decode alike, "
          f"{len(sequences)} random id sequences decode alike")
    return True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tool", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--fixtures")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    rng = random.Random(1234)

    train_path = os.path.join(args.work, "train.txt")
    with open(train_path, "w", encoding="utf-8") as f:
        for name in TRAIN_FILES:
            f.writelines(line + "\n" for line in read_lines(name) if line.strip())
        f.writelines((line + "\n") * 5 for line in TRAIN_EXTRA)

    held_out = [line for name in TEST_FILES for line in read_lines(name) if line.strip()]
    lines = rng.sample(held_out, 300) + TRICKY

    ok = True
    for name, options in MODELS:
        prefix = os.path.join(args.work, name.replace(" ", "-"))
        with quiet_stderr():
            spm.SentencePieceTrainer.train(input=train_path, model_prefix=prefix,
                                           num_threads=1, hard_vocab_limit=False, **options)
        ok &= check_model(args.tool, name, prefix + ".model", lines, rng)

    if args.fixtures:
        model = os.path.join(args.fixtures, "tokenizer.model")
        text = os.path.join(args.fixtures, "heldout.txt")
        if os.path.exists(model) and os.path.exists(text):
            with open(text, encoding="utf-8") as f:
                fixture_lines = f.read().split("\n")
            ok &= check_model(args.tool, "fixture", model, fixture_lines + TRICKY, rng)
        else:
            # The fixtures are committed: their absence is a broken checkout.
            print("fixture: FAILED, models/fixtures/tokenizer.model or heldout.txt is missing")
            ok = False

    print("all models agree" if ok else "FAILED: some models disagree")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
