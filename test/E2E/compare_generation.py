#!/usr/bin/env python3
"""Compares `genc generate --output-format json` with tools/reference/generate.mjs
(or `genc perplexity` with `generate.mjs perplexity`).

generate:   the same sequences in the same order (prompt index and token ids
            identical) and scores within 1e-5, relative for |score| > 1 and
            absolute below: |genc - ref| <= 1e-5 * max(1, |ref|).
            --expect-eos ID[,ID]: at least one sequence must end in one of
            these ids (so that finished hypotheses matter);
            --expect-unfinished: at least one must not;
            --expect-draft: genc must have proposed draft tokens (speculative
            decoding; its accepted/proposed counts are printed).
perplexity: the same token and scored-token counts, perplexity and NLL sum
            within 1e-5 relative.

Prints one line: "ok: ..." with the largest differences, or "FAIL: ..." and
exits 1.

Usage: compare_generation.py generate|perplexity GENC.json REF.json [options]
"""
import argparse
import json
import sys

TOLERANCE = 1e-5


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def compare_generate(genc, ref, args):
    gs, rs = genc["sequences"], ref["sequences"]
    if len(gs) != len(rs):
        fail(f"genc returned {len(gs)} sequences, the reference {len(rs)}")
    worst = worst_abs = 0.0
    for i, (g, r) in enumerate(zip(gs, rs)):
        if g["prompt"] != r["prompt"] or g["tokens"] != r["tokens"]:
            fail(f"sequence {i}: genc prompt {g['prompt']} tokens {g['tokens']} (score {g['score']!r}), "
                 f"reference prompt {r['prompt']} tokens {r['tokens']} (score {r['score']!r})")
        diff = abs(g["score"] - r["score"]) / max(1.0, abs(r["score"]))
        if not diff <= TOLERANCE:  # NaN fails too
            fail(f"sequence {i} ({r['tokens']}): genc score {g['score']!r}, reference {r['score']!r}, "
                 f"difference {diff:.3g} > {TOLERANCE}")
        worst = max(worst, diff)
        worst_abs = max(worst_abs, abs(g["score"] - r["score"]))
    for key in ("prompt_tokens", "generated_tokens"):
        if genc["stats"][key] != ref["stats"][key]:
            fail(f"stats.{key}: genc {genc['stats'][key]}, reference {ref['stats'][key]}")
    eos_ended = 0
    if args.expect_eos:
        eos = {int(t) for t in args.expect_eos.split(",")}
        eos_ended = sum(1 for r in rs if r["tokens"] and r["tokens"][-1] in eos)
        if eos_ended == 0:
            fail(f"no sequence ends in an EOS id {sorted(eos)}: the test does not exercise finished sequences")
        if args.expect_unfinished and eos_ended == len(rs):
            fail("every sequence ends in EOS: the test does not exercise unfinished ones")
    draft = ""
    if args.expect_draft:
        proposed, accepted = genc["stats"]["draft_tokens_proposed"], genc["stats"]["draft_tokens_accepted"]
        if proposed == 0:
            fail("genc proposed no draft tokens: speculative decoding did not run")
        draft = f", draft tokens accepted {accepted} of {proposed}"
    print(f"ok: {len(rs)} sequences identical, {eos_ended} ending in EOS, "
          f"max score difference {worst:.3g} (relative above 1, absolute below; absolute {worst_abs:.3g}){draft}")


def compare_perplexity(genc, ref):
    for key in ("tokens", "scored_tokens"):
        if genc[key] != ref[key]:
            fail(f"{key}: genc {genc[key]}, reference {ref[key]}")
    diffs = {}
    for key in ("perplexity", "nll_sum"):
        diffs[key] = abs(genc[key] - ref[key]) / abs(ref[key])
        if not diffs[key] <= TOLERANCE:
            fail(f"{key}: genc {genc[key]!r}, reference {ref[key]!r}, relative difference "
                 f"{diffs[key]:.3g} > {TOLERANCE}")
    print(f"ok: {ref['scored_tokens']} of {ref['tokens']} tokens scored, perplexity {ref['perplexity']:.4f}, "
          f"relative difference {diffs['perplexity']:.3g} (NLL sum {diffs['nll_sum']:.3g})")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["generate", "perplexity"])
    parser.add_argument("genc")
    parser.add_argument("ref")
    parser.add_argument("--expect-eos", help="comma-separated EOS ids; one sequence at least must end in one")
    parser.add_argument("--expect-unfinished", action="store_true",
                        help="with --expect-eos: one sequence at least must not end in EOS")
    parser.add_argument("--expect-draft", action="store_true",
                        help="genc's stats must show proposed draft tokens")
    args = parser.parse_args()
    with open(args.genc) as f:
        genc = json.load(f)
    with open(args.ref) as f:
        ref = json.load(f)
    if args.kind == "generate":
        compare_generate(genc, ref, args)
    else:
        compare_perplexity(genc, ref)


if __name__ == "__main__":
    main()
