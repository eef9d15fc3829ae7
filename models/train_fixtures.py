#!/usr/bin/python3
"""Trains genc's fixture models on Jane Austen's novels and exports them:
the basis of the generation runtime's quality numbers and of the README demo.

Usage:
  /usr/bin/python3 models/train_fixtures.py [--out models/fixtures] [--genc GENC]
  /usr/bin/python3 models/train_fixtures.py --check [--out models/fixtures]
  /usr/bin/python3 models/train_fixtures.py --write-sums [--out models/fixtures]

The full run (about 18 minutes on one core) writes into --out:
  tokenizer.model       SentencePiece BPE, 1024 pieces, byte fallback
  tokenizer.vocab       its pieces and scores, as text
  heldout.txt           test split (never seen by tokenizer or models)
  calibration.txt       ~50 KB of training text (quantization / GQA calibration)
  target-{no,with}-past.onnx + target.onnx_data
                        LLaMA-style decoder (4 layers, d 256, 8 query / 2 KV heads)
  draft-{no,with}-past.onnx + draft.onnx_data
                        GPT-2-style draft (1 layer, d 192), same vocabulary
  draft-distilled-{no,with}-past.onnx + draft-distilled.onnx_data
                        the draft fine-tuned on the target's greedy
                        continuations (sequence-level distillation): the
                        draft for speculative decoding
  reverse-encoder.onnx, reverse-decoder-{no,with}-past.onnx + reverse-decoder.onnx_data,
  reverse-vocab.json    encoder-decoder that reverses a list of 3-8 words
  metrics.json          steps, losses, perplexities, wall times
  SHA256SUMS            sha256sum of every file here (written last)
then checks every export against torch with ONNX Runtime (tools/reference/
run.mjs) and, with --genc, compiles and runs each with genc and compares
its outputs with ONNX Runtime's.

--check verifies the files against SHA256SUMS; --write-sums rewrites it
(after editing TRAINING.md or training.log by hand).

The corpus comes from the Debian package r-cran-janeaustenr (apt-get
download + dpkg-deb -x; R is not needed): read_rdata() below reads R's
lazy-load database it ships. Seeds are fixed and torch runs on one thread,
so a rerun on the same machine and software reproduces the files byte for
byte (all but training.log, metrics.json and TRAINING.md, which hold wall
times).
"""
import os

# One thread, BLAS included (torch.set_num_threads does not reach Debian's
# OpenBLAS pool); set before numpy and torch load.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import copy  # noqa: E402
import glob  # noqa: E402
import gzip  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import shutil  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import zlib  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnx.numpy_helper  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zoo  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPSET = 17
NOVELS = ("emma", "mansfieldpark", "northangerabbey", "persuasion", "prideprejudice", "sensesensibility")

# Splits, per novel, by line, moved forward to the next paragraph start.
VAL_START, TEST_START = 0.93, 0.95
CALIBRATION_CHARS = 50_000

# Tokenizer ids.
UNK, BOS, EOS = 0, 1, 2
VOCAB = 1024

# Target: LLaMA style. Trained on windows of CONTEXT tokens (BOS first);
# rotary tables cover MAX_POS positions so longer sequences run (untrained).
TARGET = dict(vocab=VOCAB, d=256, layers=4, heads=8, kv_heads=2, ffn=688, max_pos=512)
CONTEXT = 256
TARGET_TRAIN = dict(steps=1100, batch=8, lr=3e-3, warmup=50, weight_decay=0.1, seed=1234)
# Draft: GPT-2 style with position_ids, trained on windows of 512 tokens so
# that all of its learned positions are trained.
DRAFT = dict(vocab=VOCAB, d=192, layers=1, heads=4, max_pos=512, position_ids=True)
DRAFT_CONTEXT = 512
DRAFT_TRAIN = dict(steps=1000, batch=8, lr=3e-3, warmup=50, weight_decay=0.1, seed=4321)
# Then the draft learns the target's greedy continuations of `sequences`
# training-text prompts (sequence-level distillation): the tokens
# speculative greedy decoding asks it to predict. Each step's loss: half
# the continuations' tokens (`batch` of them; the prompts unscored), half
# `text_batch` windows of text, so that the draft still models text.
DRAFT_IMITATION = dict(sequences=512, prompt=31, new_tokens=96, steps=400, batch=8, text_batch=4, lr=1e-3,
                       warmup=20, weight_decay=0.1, seed=4322)
# Encoder-decoder: reverse 3-8 words.
WORDS = ("red", "green", "blue", "black", "white", "cat", "dog", "fox", "owl", "hen",
         "one", "two", "three", "four", "five", "six", "sun", "moon", "star", "rain",
         "tree", "rock", "ship", "house")
REVERSE_SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>")  # ids 0..3; words from 4
REVERSE = dict(d=128, layers=2, heads=4, max_pos=16)
REVERSE_TRAIN = dict(steps=1500, batch=64, lr=1e-3, warmup=100, weight_decay=0.01, seed=99, min_len=3, max_len=8)


def log(*args):
    print(*args, flush=True)


# --------------------------------------------------------------------------
# Corpus: R lazy-load database (Rdata.rdb + Rdata.rdx).
# --------------------------------------------------------------------------
class RUnserializer:
    """Reads R's XDR serialization (format 2 or 3) of what janeaustenr holds:
    character vectors, and the index (a named list of integer vectors).
    Values: str or None (NA) for CHARSXP, Python lists for vectors (with
    their attribute pairlist in .attributes), ("symbol", name), pairlists as
    dicts {tag: value}."""

    NILVALUE, REFSXP, SYMSXP, LISTSXP, CHARSXP = 254, 255, 1, 2, 9
    LGLSXP, INTSXP, REALSXP, STRSXP, VECSXP = 10, 13, 14, 16, 19

    class Vector(list):
        attributes = None

    def __init__(self, data):
        if data[:2] != b"X\n":
            raise ValueError("not an XDR serialization")
        self.data, self.pos, self.refs = data, 2, []
        version = self.int()
        if version not in (2, 3):
            raise ValueError(f"serialization format {version}")
        self.int(), self.int()  # writer's R version, minimal reader version
        if version == 3:
            n = self.int()
            self.pos += n  # skips the native encoding's name

    def int(self):
        (value,) = struct.unpack_from(">i", self.data, self.pos)
        self.pos += 4
        return value

    def length(self):
        n = self.int()
        if n == -1:  # long vector: two more ints
            n = (self.int() << 32) + self.int()
        return n

    def read(self):
        flags = self.int()
        kind, has_attr, has_tag = flags & 0xFF, flags & (1 << 9), flags & (1 << 10)
        if kind == self.NILVALUE:
            return None
        if kind == self.REFSXP:
            index = flags >> 8 or self.int()
            return self.refs[index - 1]
        if kind == self.SYMSXP:
            symbol = ("symbol", self.read())
            self.refs.append(symbol)
            return symbol
        if kind == self.CHARSXP:
            n = self.int()
            if n == -1:
                return None
            raw = self.data[self.pos:self.pos + n]
            self.pos += n
            # Bit 3 of the levels (flags >> 12) marks UTF-8, bit 2 Latin-1.
            return raw.decode("latin-1" if (flags >> 12) & 4 else "utf-8")
        if kind == self.LISTSXP:
            pairs = {}
            while kind == self.LISTSXP:
                if has_attr:
                    self.read()
                tag = self.read() if has_tag else None
                pairs[tag[1] if tag else len(pairs)] = self.read()
                flags = self.int()
                kind, has_attr, has_tag = flags & 0xFF, flags & (1 << 9), flags & (1 << 10)
            if kind != self.NILVALUE:
                raise ValueError("pairlist not ended by NULL")
            return pairs
        if kind in (self.STRSXP, self.VECSXP, self.INTSXP, self.LGLSXP, self.REALSXP):
            n = self.length()
            if kind in (self.STRSXP, self.VECSXP):
                value = self.Vector(self.read() for _ in range(n))
            else:
                code, size = ("d", 8) if kind == self.REALSXP else ("i", 4)
                value = self.Vector(struct.unpack_from(f">{n}{code}", self.data, self.pos))
                self.pos += size * n
            if has_attr:
                value.attributes = self.read()
            return value
        raise ValueError(f"R type {kind} at byte {self.pos - 4} is not supported")


def read_rdata(base):
    """{name: list of str} from BASE.rdx (gzip'd serialized index: a list
    with names variables/references/compressed; variables maps each object
    to [offset, length] in BASE.rdb) and BASE.rdb (per object: 4-byte
    big-endian uncompressed length, then a zlib stream)."""
    with open(base + ".rdx", "rb") as f:
        index = RUnserializer(gzip.decompress(f.read())).read()
    fields = dict(zip(index.attributes["names"], index))
    variables = fields["variables"]
    with open(base + ".rdb", "rb") as f:
        db = f.read()
    objects = {}
    for name, (offset, length) in zip(variables.attributes["names"], variables):
        blob = db[offset:offset + length]
        (size,) = struct.unpack(">I", blob[:4])
        raw = zlib.decompress(blob[4:])
        if len(raw) != size:
            raise ValueError(f"{name}: {len(raw)} bytes, header says {size}")
        objects[name] = RUnserializer(raw).read()
    return objects


def fetch_novels(work):
    """The six novels, each a list of lines, from r-cran-janeaustenr."""
    folder = os.path.join(work, "janeaustenr")
    os.makedirs(folder, exist_ok=True)
    subprocess.run(["apt-get", "download", "r-cran-janeaustenr"], cwd=folder, check=True,
                   stdout=subprocess.DEVNULL)
    (deb,) = glob.glob(os.path.join(folder, "r-cran-janeaustenr_*.deb"))
    subprocess.run(["dpkg-deb", "-x", deb, os.path.join(folder, "root")], check=True)
    log("corpus:", os.path.basename(deb))
    objects = read_rdata(os.path.join(folder, "root/usr/lib/R/site-library/janeaustenr/data/Rdata"))
    return {name: [line or "" for line in objects[name]] for name in NOVELS}


def paragraph_start(lines, i):
    """The first line at or after i that starts a paragraph."""
    while i < len(lines) and not (i == 0 or lines[i - 1] == ""):
        i += 1
    return i


def split_novels(novels):
    splits = {"train": {}, "val": {}, "test": {}}
    for name, lines in novels.items():
        v = paragraph_start(lines, int(VAL_START * len(lines)))
        t = paragraph_start(lines, int(TEST_START * len(lines)))
        splits["train"][name], splits["val"][name], splits["test"][name] = lines[:v], lines[v:t], lines[t:]
    return splits


def as_text(lines):
    return "\n".join(lines) + "\n"


def calibration_text(train):
    """~CALIBRATION_CHARS of training text: a run of paragraphs from the
    middle of each novel's training part."""
    per_novel = CALIBRATION_CHARS // len(train)
    chunks = []
    for name in NOVELS:
        lines = train[name]
        i = paragraph_start(lines, len(lines) // 2)
        taken, size = [], 0
        while size < per_novel and i < len(lines):
            taken.append(lines[i])
            size += len(lines[i]) + 1
            i += 1
        while i < len(lines) and lines[i] != "":  # finish the paragraph
            taken.append(lines[i])
            i += 1
        chunks.append(as_text(taken))
    return "\n".join(chunks)


# --------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------
def train_tokenizer(train, path):
    """BPE on the training lines. Identity normalization and no whitespace
    cleanup keep encoding a plain function of the text (space -> U+2581,
    one U+2581 prepended, BPE, bytes for what has no piece) and decoding
    lossless; newlines have no piece and encode as the byte <0x0A>."""
    import io
    import sentencepiece as spm
    sentences = [line for name in NOVELS for line in train[name] if line]
    model = io.BytesIO()  # not model_prefix: the model would record that path
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences), model_writer=model,
        vocab_size=VOCAB, model_type="bpe", character_coverage=1.0, byte_fallback=True,
        normalization_rule_name="identity", remove_extra_whitespaces=False, add_dummy_prefix=True,
        unk_id=UNK, bos_id=BOS, eos_id=EOS, pad_id=-1, num_threads=1, input_sentence_size=0,
        shuffle_input_sentence=False, minloglevel=2)
    with open(path, "wb") as f:
        f.write(model.getvalue())
    sp = load_tokenizer(path)
    with open(path[:-len(".model")] + ".vocab", "w") as f:  # readable: id order, piece, score
        for i in range(sp.get_piece_size()):
            f.write(f"{sp.id_to_piece(i)}\t{sp.get_score(i):g}\n")
    return sp


def load_tokenizer(path):
    import sentencepiece as spm
    return spm.SentencePieceProcessor(model_file=path)


# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------
RESIDUAL_OUTPUTS = {"o_proj", "down", "c_proj", "proj", "o", "fc2"}  # zoo's names


def init_weights(model, layers):
    """GPT-style initialisation: N(0, 0.02), residual output projections
    scaled by 1/sqrt(2 layers), zero biases, unit norms."""
    for name, p in model.named_parameters():
        if name.endswith("bias"):
            nn.init.zeros_(p)
        elif p.dim() == 1:
            nn.init.ones_(p)
        else:
            std = 0.02
            if name.split(".")[-2] in RESIDUAL_OUTPUTS:
                std /= math.sqrt(2 * layers)
            nn.init.normal_(p, 0.0, std)


def make_optimizer(model, cfg):
    """AdamW; weight decay on matrices and token embeddings, not on norms,
    biases or position embeddings."""
    def decays(name, p):
        return p.dim() >= 2 and name.split(".")[-2] not in ("wpe", "pos")
    decay = [p for n, p in model.named_parameters() if decays(n, p)]
    other = [p for n, p in model.named_parameters() if not decays(n, p)]
    return torch.optim.AdamW([{"params": decay, "weight_decay": cfg["weight_decay"]},
                              {"params": other, "weight_decay": 0.0}], lr=cfg["lr"], betas=(0.9, 0.95))


def optimizer_step(opt, parameters, cfg, step, loss):
    """One step on `loss` at the schedule's learning rate for `step`, with
    the gradients clipped at norm 1.0."""
    for group in opt.param_groups:
        group["lr"] = learning_rate(cfg, step)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(parameters, 1.0)
    opt.step()


def learning_rate(cfg, step):
    """Linear warm-up, then cosine decay to a tenth of the peak."""
    if step < cfg["warmup"]:
        return cfg["lr"] * (step + 1) / cfg["warmup"]
    progress = (step - cfg["warmup"]) / max(1, cfg["steps"] - cfg["warmup"])
    return cfg["lr"] * (0.1 + 0.45 * (1 + math.cos(math.pi * progress)))


def lm_call(model, ids):
    """Logits for a batch of full, unpadded windows."""
    b, s = ids.shape
    mask = torch.ones(b, s, dtype=torch.long)
    positions = torch.arange(s).unsqueeze(0).expand(b, s)
    return model(ids, mask, positions)


def sample_windows(streams, weights, gen, batch, context):
    """[batch, context + 1] token windows: BOS, then context tokens from a
    random offset of a random novel (chosen in proportion to its length)."""
    rows = []
    novels = torch.multinomial(weights, batch, replacement=True, generator=gen)
    for n in novels.tolist():
        stream = streams[n]
        start = int(torch.randint(0, len(stream) - context + 1, (1,), generator=gen))
        rows.append(torch.cat([torch.tensor([BOS]), stream[start:start + context]]))
    return torch.stack(rows)


@torch.no_grad()
def perplexity(model, ids, context, chunks_wanted=None):
    """Scores every token of `ids` once: chunks of `context` tokens, each
    given BOS and the chunk's earlier tokens. Returns (mean NLL, tokens).
    With chunks_wanted, only that many chunks, evenly spaced."""
    was_training = model.training
    model.eval()
    ids = torch.as_tensor(ids)
    chunks = [ids[i:i + context] for i in range(0, len(ids), context)]
    if chunks_wanted:
        chunks = [chunks[i * len(chunks) // chunks_wanted] for i in range(chunks_wanted)]
    total, count = 0.0, 0
    groups = [chunks[i:i + 16] for i in range(0, len(chunks), 16)]
    for group in groups:
        sizes = {len(c) for c in group}
        batches = [torch.stack(group)] if len(sizes) == 1 else [c.unsqueeze(0) for c in group]
        for labels in batches:
            x = torch.cat([torch.full((labels.shape[0], 1), BOS), labels[:, :-1]], dim=1)
            logits = lm_call(model, x)
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1),
                                     reduction="sum").item()
            count += labels.numel()
    model.train(was_training)
    return total / count, count


@torch.no_grad()
def greedy_continuations(model, prompts, new_tokens):
    """[batch, prompt + new_tokens]: a batch of prompts and the model's greedy
    continuations, decoded with its KV cache."""
    model.eval()
    b = prompts.shape[0]
    past = [torch.zeros(b, model.kv_heads, 0, model.dh) for _ in range(2 * model.layers)]
    ids, length, rows = prompts, 0, [prompts]
    for _ in range(new_tokens):
        n = ids.shape[1]
        positions = torch.arange(length, length + n).unsqueeze(0).expand(b, n)
        logits, *past = model(ids, torch.ones(b, length + n, dtype=torch.long), positions, *past)
        length += n
        ids = logits[:, -1].argmax(-1, keepdim=True)
        rows.append(ids)
    return torch.cat(rows, dim=1)


def imitation_data(target, streams, cfg):
    """DRAFT_IMITATION's sequences: BOS and `prompt` training tokens, then
    the target's `new_tokens` greedy ones."""
    gen = torch.Generator().manual_seed(cfg["seed"])
    weights = torch.tensor([float(len(s)) for s in streams])
    batches = []
    for _ in range(0, cfg["sequences"], 32):
        prompts = sample_windows(streams, weights, gen, 32, cfg["prompt"])
        batches.append(greedy_continuations(target, prompts, cfg["new_tokens"]))
    return torch.cat(batches)[:cfg["sequences"]]


@torch.no_grad()
def greedy_agreement(target, draft, sequences, prompt):
    """How often the draft's most likely next token is the target's greedy
    one, over the continuations in `sequences` (teacher-forced)."""
    x = sequences[:, :-1]
    same = lm_call(target, x)[:, prompt:].argmax(-1) == lm_call(draft, x)[:, prompt:].argmax(-1)
    return same.float().mean().item()


def train_lm(name, model, cfg, context, streams, val_ids):
    torch.manual_seed(cfg["seed"])
    layers = len(model.blocks)
    init_weights(model, layers)
    gen = torch.Generator().manual_seed(cfg["seed"])
    weights = torch.tensor([float(len(s)) for s in streams])
    opt = make_optimizer(model, cfg)
    model.train()
    start, history = time.time(), []
    for step in range(cfg["steps"]):
        batch = sample_windows(streams, weights, gen, cfg["batch"], context)
        logits = lm_call(model, batch[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))
        optimizer_step(opt, model.parameters(), cfg, step, loss)
        if step % 20 == 0 or step == cfg["steps"] - 1:
            log(f"{name} step {step:5d} lr {learning_rate(cfg, step):.2e} train loss {loss.item():.4f} "
                f"ppl {math.exp(loss.item()):8.2f}  {time.time() - start:6.1f}s")
        if (step + 1) % 100 == 0 or step == cfg["steps"] - 1:
            nll, _ = perplexity(model, val_ids, context, chunks_wanted=16)
            history.append((step + 1, loss.item(), nll))
            log(f"{name} step {step + 1:5d} val loss {nll:.4f} ppl {math.exp(nll):8.2f} (16 chunks)")
    seconds = time.time() - start
    log(f"{name}: {cfg['steps']} steps in {seconds:.1f}s")
    model.eval()
    return seconds, history


def imitate(name, model, cfg, sequences, streams, context):
    """Fine-tunes a trained `model` on `sequences` (DRAFT_IMITATION): half
    the cross-entropy of the target's continuations (the tokens after BOS
    and the prompt), half that of text windows. Returns the seconds."""
    gen = torch.Generator().manual_seed(cfg["seed"])
    weights = torch.tensor([float(len(s)) for s in streams])
    opt = make_optimizer(model, cfg)
    model.train()
    start = time.time()
    for step in range(cfg["steps"]):
        rows = sequences[torch.randint(0, len(sequences), (cfg["batch"],), generator=gen)]
        logits = lm_call(model, rows[:, :-1])[:, cfg["prompt"]:]
        copied = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), rows[:, cfg["prompt"] + 1:].reshape(-1))
        text = sample_windows(streams, weights, gen, cfg["text_batch"], context)
        logits = lm_call(model, text[:, :-1])
        modelled = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), text[:, 1:].reshape(-1))
        optimizer_step(opt, model.parameters(), cfg, step, 0.5 * (copied + modelled))
        if step % 20 == 0 or step == cfg["steps"] - 1:
            log(f"{name} imitation step {step:5d} lr {learning_rate(cfg, step):.2e} continuations loss "
                f"{copied.item():.4f} text loss {modelled.item():.4f}  {time.time() - start:6.1f}s")
    model.eval()
    return time.time() - start


@torch.no_grad()
def greedy(model, ids, new_tokens):
    ids = list(ids)
    for _ in range(new_tokens):
        logits = lm_call(model, torch.tensor([ids[-CONTEXT:]]))
        ids.append(int(logits[0, -1].argmax()))
    return ids


# --------------------------------------------------------------------------
# Encoder-decoder: reverse a list of words
# --------------------------------------------------------------------------
def reverse_batch(gen, batch, min_len, max_len):
    """Source (words), decoder input (BOS + reversed) and labels (reversed +
    EOS; -100 on padding), right-padded with <pad>."""
    lengths = torch.randint(min_len, max_len + 1, (batch,), generator=gen)
    src = torch.zeros(batch, max_len, dtype=torch.long)
    dec = torch.zeros(batch, max_len + 1, dtype=torch.long)
    labels = torch.full((batch, max_len + 1), -100, dtype=torch.long)
    for r, n in enumerate(lengths.tolist()):
        words = torch.randint(len(REVERSE_SPECIALS), len(REVERSE_SPECIALS) + len(WORDS), (n,), generator=gen)
        src[r, :n] = words
        dec[r, 0] = BOS
        dec[r, 1:n + 1] = words.flip(0)
        labels[r, :n] = words.flip(0)
        labels[r, n] = EOS
    return src, (src != 0).long(), dec, labels


def reverse_models():
    """The encoder-decoder's encoder and decoder, freshly initialised."""
    vocab = len(REVERSE_SPECIALS) + len(WORDS)
    return zoo.Encoder(vocab=vocab, **REVERSE), zoo.Decoder(vocab=vocab, cross_attentions=True, **REVERSE)


def train_reverse():
    cfg = REVERSE_TRAIN
    torch.manual_seed(cfg["seed"])
    vocab = len(REVERSE_SPECIALS) + len(WORDS)
    encoder, decoder = reverse_models()
    both = nn.ModuleDict({"encoder": encoder, "decoder": decoder})
    init_weights(both, REVERSE["layers"])
    opt = make_optimizer(both, cfg)
    gen = torch.Generator().manual_seed(cfg["seed"])
    start = time.time()
    for step in range(cfg["steps"]):
        src, mask, dec, labels = reverse_batch(gen, cfg["batch"], cfg["min_len"], cfg["max_len"])
        logits, _ = decoder(dec, encoder(src, mask), mask)
        loss = F.cross_entropy(logits.reshape(-1, vocab), labels.reshape(-1), ignore_index=-100)
        optimizer_step(opt, both.parameters(), cfg, step, loss)
        if step % 100 == 0 or step == cfg["steps"] - 1:
            log(f"reverse step {step:5d} loss {loss.item():.4f}  {time.time() - start:6.1f}s")
    seconds = time.time() - start
    encoder.eval(), decoder.eval()
    accuracy = reverse_accuracy(encoder, decoder, torch.Generator().manual_seed(7), 1000)
    log(f"reverse: {cfg['steps']} steps in {seconds:.1f}s, greedy exact match {accuracy:.3f} on 1000 new lists")
    return encoder, decoder, seconds, accuracy


@torch.no_grad()
def reverse_accuracy(encoder, decoder, gen, count):
    cfg = REVERSE_TRAIN
    src, mask, _, labels = reverse_batch(gen, count, cfg["min_len"], cfg["max_len"])
    memory = encoder(src, mask)
    out = torch.full((count, 1), BOS, dtype=torch.long)
    for _ in range(cfg["max_len"] + 1):
        logits, _ = decoder(out, memory, mask)
        out = torch.cat([out, logits[:, -1].argmax(-1, keepdim=True)], dim=1)
    correct = 0
    for r in range(count):
        want = [t for t in labels[r].tolist() if t != -100]
        correct += out[r, 1:len(want) + 1].tolist() == want
    return correct / count


# --------------------------------------------------------------------------
# Export, with each model's weights stored once
# --------------------------------------------------------------------------
def share_weights(paths, data_name, min_bytes=1024):
    """Moves every initializer of at least min_bytes out of the models in
    `paths` into one external-data file `data_name` beside them, each
    distinct tensor content once (64-byte aligned), so a model's with- and
    without-cache exports read the same bytes."""
    folder = os.path.dirname(paths[0])
    offsets, blob = {}, bytearray()
    models = [onnx.load(p) for p in paths]
    for model in models:
        for tensor in model.graph.initializer:
            raw = onnx.numpy_helper.to_array(tensor).tobytes()
            if len(raw) < min_bytes:
                continue
            key = hashlib.sha256(raw).hexdigest()
            if key not in offsets:
                blob.extend(b"\0" * (-len(blob) % 64))
                offsets[key] = len(blob)
                blob.extend(raw)
            for field in ("float_data", "int32_data", "int64_data", "double_data", "string_data"):
                tensor.ClearField(field)
            tensor.ClearField("raw_data")
            tensor.data_location = onnx.TensorProto.EXTERNAL
            del tensor.external_data[:]
            for k, v in (("location", data_name), ("offset", str(offsets[key])), ("length", str(len(raw)))):
                entry = tensor.external_data.add()
                entry.key, entry.value = k, v
    with open(os.path.join(folder, data_name), "wb") as f:
        f.write(blob)
    for model, path in zip(models, paths):
        with open(path, "wb") as f:
            f.write(model.SerializeToString())
        onnx.checker.check_model(path)
    log(f"wrote {data_name}: {len(blob)} bytes for {', '.join(os.path.basename(p) for p in paths)}")


def weights_from_export(model, path):
    """Loads `model`'s weights from its own export at `path`: initializers
    named after parameters, and the transposed weights MatMul nodes named
    after their Linear (/blocks.0/attn/q_proj/MatMul) read. Buffers keep
    the model's values (they are computed, not trained)."""
    graph = onnx.load(path).graph
    tensors = {t.name: torch.from_numpy(onnx.numpy_helper.to_array(t).copy()) for t in graph.initializer}
    state = model.state_dict()
    found = {k: tensors[k] for k in state if k in tensors}
    for node in graph.node:
        if node.op_type == "MatMul" and node.input[1] in tensors:
            name = ".".join(node.name.strip("/").split("/")[:-1]) + ".weight"
            if name in state:
                found[name] = tensors[node.input[1]].t().contiguous()
    for name, value in model.named_buffers():
        found.setdefault(name, value)
    for name in [k for k in state if k not in found and k.endswith("lm_head.weight")]:
        found[name] = found[name.replace("lm_head", "embed" if "embed.weight" in found else "wte")]
    missing = sorted(set(state) - set(found))
    if missing:
        raise SystemExit(f"{path}: no weights for {', '.join(missing)}")
    model.load_state_dict(found)
    model.eval()
    return model


def export_decoder_only(name, model, out, with_positions):
    """zoo's export (Optimum names, dynamic batch/sequence axes, opset 17),
    renamed NAME-{no,with}-past.onnx, weights in NAME.onnx_data."""
    tmp = tempfile.mkdtemp()
    zoo.export_decoder_only(name, model, tmp, with_positions=with_positions, opsets=(OPSET,))
    paths = []
    for suffix in ("no-past", "with-past"):
        dst = os.path.join(out, f"{name}-{suffix}.onnx")
        shutil.move(os.path.join(tmp, f"{name}-{suffix}-opset{OPSET}.onnx"), dst)
        paths.append(dst)
    shutil.rmtree(tmp)
    share_weights(paths, f"{name}.onnx_data")


def export_reverse(encoder, decoder, out):
    b, s, t, p = 2, 6, 4, 3
    vocab = decoder.lm_head.out_features
    src = torch.randint(4, vocab, (b, s))
    zoo.export(encoder, [src, torch.ones(b, s, dtype=torch.long)], ["input_ids", "attention_mask"],
               ["last_hidden_state"],
               {"input_ids": {0: "batch", 1: "encoder_sequence"},
                "attention_mask": {0: "batch", 1: "encoder_sequence"},
                "last_hidden_state": {0: "batch", 1: "encoder_sequence"}},
               os.path.join(out, "reverse-encoder.onnx"), OPSET)
    memory = torch.randn(b, s, REVERSE["d"])
    paths = []
    for cached in (False, True):
        inputs = [torch.randint(4, vocab, (b, t)), memory, torch.ones(b, s, dtype=torch.long)]
        names = ["input_ids", "encoder_hidden_states", "encoder_attention_mask"]
        axes = {"input_ids": {0: "batch", 1: "sequence"},
                "encoder_hidden_states": {0: "batch", 1: "encoder_sequence"},
                "encoder_attention_mask": {0: "batch", 1: "encoder_sequence"},
                "logits": {0: "batch", 1: "sequence"},
                "cross_attentions": {0: "batch", 1: "sequence", 2: "encoder_sequence"}}
        outputs = ["logits", "cross_attentions"]
        if cached:
            zoo.add_kv_cache(inputs, names, outputs, axes, decoder.layers, decoder.heads, decoder.dh, b, p)
        path = os.path.join(out, f"reverse-decoder-{'with' if cached else 'no'}-past.onnx")
        zoo.export(decoder, inputs, names, outputs, axes, path, OPSET)
        paths.append(path)
    share_weights(paths, "reverse-decoder.onnx_data")
    with open(os.path.join(out, "reverse-vocab.json"), "w") as f:
        json.dump(list(REVERSE_SPECIALS + WORDS), f, indent=0)
        f.write("\n")


# --------------------------------------------------------------------------
# Checks: torch vs ONNX Runtime (and genc)
# --------------------------------------------------------------------------
def run_ort(model, feeds, work):
    """ONNX Runtime's outputs (tools/reference/run.mjs) for numpy feeds."""
    inputs = os.path.join(work, "in")
    os.makedirs(inputs, exist_ok=True)
    specs = []
    for name, value in feeds.items():
        path = os.path.join(inputs, name + ".npy")
        np.save(path, np.ascontiguousarray(value))
        specs.append(f"{name}={path}")
    subprocess.run(["node", os.path.join(ROOT, "tools/reference/run.mjs"), model, os.path.join(work, "ort"), *specs,
                    "--threads", "1"],
                   check=True, stdout=subprocess.DEVNULL)
    return specs, {os.path.basename(p)[:-4]: np.load(p) for p in glob.glob(os.path.join(work, "ort", "*.npy"))}


def decoder_only_cases(model, ids, with_positions):
    """Inputs for a left-padded batch of two rows: row 0 has two pad tokens
    (mask 0, position 1), row 1 none; then a 4-token cached step."""
    full = torch.tensor([ids[:12], ids[12:24]])
    mask = torch.ones(2, 12, dtype=torch.long)
    mask[0, :2] = 0
    positions = (mask.cumsum(1) - 1).clamp(min=0)
    new = torch.tensor([ids[24:28], ids[28:32]])
    step_mask = torch.cat([mask, torch.ones(2, 4, dtype=torch.long)], dim=1)
    step_positions = positions[:, -1:] + 1 + torch.arange(4)
    args = [full, mask] + ([positions] if with_positions else [])
    with torch.no_grad():
        outs = model(*args, *[torch.zeros(2, model.kv_heads if hasattr(model, "kv_heads") else model.heads,
                                          0, model.dh) for _ in range(2 * model.layers)])
        past = outs[1:]
        step_args = [new, step_mask] + ([step_positions] if with_positions else [])
        step = model(*step_args, *past)
    names = ["input_ids", "attention_mask"] + (["position_ids"] if with_positions else [])
    no_past = dict(zip(names, [a.numpy() for a in args]))
    with_past = dict(zip(names, [a.numpy() for a in step_args]))
    for i in range(model.layers):
        with_past[f"past_key_values.{i}.key"] = past[2 * i].numpy()
        with_past[f"past_key_values.{i}.value"] = past[2 * i + 1].numpy()
    expected_no_past = {"logits": outs[0].numpy()}
    expected_with_past = {"logits": step[0].numpy()}
    for i in range(model.layers):
        expected_with_past[f"present.{i}.key"] = step[1 + 2 * i].numpy()
        expected_with_past[f"present.{i}.value"] = step[2 + 2 * i].numpy()
    # The cached step must agree with running the whole sequence at once.
    with torch.no_grad():
        whole = model(*([torch.cat([full, new], 1), step_mask] +
                        ([torch.cat([positions, step_positions], 1)] if with_positions else [])))
    cache_error = (whole[:, -4:] - step[0]).abs().max().item()
    return [("no-past", no_past, expected_no_past), ("with-past", with_past, expected_with_past)], cache_error


def reverse_cases(encoder, decoder):
    gen = torch.Generator().manual_seed(11)
    src, mask, dec, _ = reverse_batch(gen, 2, 5, 7)
    with torch.no_grad():
        memory = encoder(src, mask)
        logits, cross = decoder(dec[:, :5], memory, mask)
        empty = [torch.zeros(2, decoder.heads, 0, decoder.dh) for _ in range(2 * decoder.layers)]
        first = decoder(dec[:, :3], memory, mask, *empty)
        step = decoder(dec[:, 3:5], memory, mask, *first[2:])
    cache_error = (logits[:, 3:5] - step[0]).abs().max().item()
    with_past = {"input_ids": dec[:, 3:5].numpy(), "encoder_hidden_states": memory.numpy(),
                 "encoder_attention_mask": mask.numpy()}
    expected = {"logits": step[0].numpy(), "cross_attentions": step[1].numpy()}
    for i in range(decoder.layers):
        with_past[f"past_key_values.{i}.key"] = first[2 + 2 * i].numpy()
        with_past[f"past_key_values.{i}.value"] = first[3 + 2 * i].numpy()
        expected[f"present.{i}.key"] = step[2 + 2 * i].numpy()
        expected[f"present.{i}.value"] = step[3 + 2 * i].numpy()
    return [
        ("reverse-encoder", {"input_ids": src.numpy(), "attention_mask": mask.numpy()},
         {"last_hidden_state": memory.numpy()}),
        ("reverse-decoder-no-past", {"input_ids": dec[:, :5].numpy(), "encoder_hidden_states": memory.numpy(),
                                     "encoder_attention_mask": mask.numpy()},
         {"logits": logits.numpy(), "cross_attentions": cross.numpy()}),
        ("reverse-decoder-with-past", with_past, expected),
    ], cache_error


def real_tokens(feeds):
    """[batch, sequence]: which of the new tokens are not padding, or None."""
    if "attention_mask" not in feeds or "input_ids" not in feeds:
        return None
    return feeds["attention_mask"][:, -feeds["input_ids"].shape[1]:] == 1


def check_exports(out, cases, genc, work_root):
    """Every case: torch's expected outputs vs ONNX Runtime's; with genc,
    genc compile + run vs ONNX Runtime's, |genc - ORT| <= 1e-4 + 1e-5 |ORT|
    (test/E2E/compare.py's tolerance). A padding token's logits are not
    compared: it sees no key, and the graph then averages every value
    where genc's fused attention takes the causally visible ones (which
    no real token's output depends on)."""
    results = {}
    for model_name, feeds, expected in cases:
        work = os.path.join(work_root, model_name)
        model = os.path.join(out, model_name + ".onnx")
        specs, ort = run_ort(model, feeds, work)
        errors = {}
        for name, value in expected.items():
            if ort[name].shape != value.shape:
                raise SystemExit(f"{model_name}: {name} ORT shape {ort[name].shape} vs torch {value.shape}")
            errors[name] = float(np.abs(ort[name] - value).max())
        worst = max(errors.values())
        result = {"ort_vs_torch_max_abs": worst}
        log(f"check {model_name}: ORT vs torch max abs error {worst:.3g} over {', '.join(expected)}")
        if worst > 1e-3:
            raise SystemExit(f"{model_name}: ONNX Runtime disagrees with torch ({errors})")
        if genc:
            artifact = os.path.join(work, "model.so")
            compile_cmd = [genc, "compile", model, "-o", artifact]
            run_cmd = [genc, "run", artifact] + [a for s in specs for a in ("--input", s)] + \
                      ["--output-dir", os.path.join(work, "genc"), "--threads", "1"]
            for what, cmd in (("compile", compile_cmd), ("run", run_cmd)):
                r = subprocess.run(cmd, capture_output=True, text=True)
                if r.returncode != 0:
                    log(f"genc {what} FAILED for {model_name}: {' '.join(cmd)}\n{r.stdout}{r.stderr}")
                    result["genc"] = f"{what} failed: {(r.stdout + r.stderr).strip()[-2000:]}"
                    break
            else:
                real, genc_errors, failed = real_tokens(feeds), [], []
                for n in expected:
                    ours, theirs = np.load(os.path.join(work, "genc", n + ".npy")), ort[n]
                    if n == "logits" and real is not None:
                        ours, theirs = ours[real], theirs[real]
                    error = np.abs(ours - theirs)
                    genc_errors.append(float(error.max()))
                    if not (error <= 1e-4 + 1e-5 * np.abs(theirs)).all():
                        failed.append(f"{n} (max abs error {error.max():.3g})")
                if failed:
                    log(f"genc compare FAILED for {model_name}: {', '.join(failed)}")
                    result["genc"] = f"compare failed: {', '.join(failed)}"
                else:
                    result["genc"] = "ok"
                    result["genc_vs_ort_max_abs"] = max(genc_errors)
                    log(f"check {model_name}: genc vs ORT max abs error {max(genc_errors):.3g} "
                        f"(padding tokens' logits aside): ok")
        results[model_name] = result
    return results


# --------------------------------------------------------------------------
# Sums
# --------------------------------------------------------------------------
def write_sums(out):
    names = sorted(n for n in os.listdir(out) if n != "SHA256SUMS" and os.path.isfile(os.path.join(out, n)))
    with open(os.path.join(out, "SHA256SUMS"), "w") as f:
        for name in names:
            with open(os.path.join(out, name), "rb") as g:
                f.write(f"{hashlib.sha256(g.read()).hexdigest()}  {name}\n")
    log(f"wrote SHA256SUMS for {len(names)} files")


def check_sums(out):
    bad = 0
    with open(os.path.join(out, "SHA256SUMS")) as f:
        for line in f:
            digest, name = line.rstrip("\n").split("  ", 1)
            path = os.path.join(out, name)
            if not os.path.exists(path):
                print(f"{name}: MISSING")
                bad += 1
                continue
            with open(path, "rb") as g:
                ok = hashlib.sha256(g.read()).hexdigest() == digest
            print(f"{name}: {'OK' if ok else 'FAILED'}")
            bad += not ok
    return bad


# --------------------------------------------------------------------------
def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(ROOT, "models", "fixtures"))
    parser.add_argument("--check", action="store_true", help="verify the files against SHA256SUMS and exit")
    parser.add_argument("--write-sums", action="store_true", help="rewrite SHA256SUMS and exit")
    parser.add_argument("--genc", help="genc binary: also compile and run every export and compare with ORT")
    parser.add_argument("--work", help="folder for downloads, checkpoints and check files (default: temporary)")
    parser.add_argument("--reuse", action="store_true", help="reuse checkpoints found in --work instead of training")
    parser.add_argument("--keep", default="", metavar="MODELS",
                        help="comma-separated models (target, draft, reverse) to take from the exports in --out "
                             "instead of training; their training records stay as metrics.json has them")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply step counts (smoke tests only)")
    args = parser.parse_args()
    if args.check:
        sys.exit(1 if check_sums(args.out) else 0)
    if args.write_sums:
        write_sums(args.out)
        return
    torch.set_num_threads(1)
    out = args.out
    kept = set(filter(None, args.keep.split(",")))
    if unknown := kept - {"target", "draft", "reverse"}:
        raise SystemExit(f"--keep takes target, draft and reverse, not {', '.join(sorted(unknown))}")
    earlier = {}
    if kept:
        with open(os.path.join(out, "metrics.json")) as f:
            earlier = json.load(f)
    os.makedirs(out, exist_ok=True)
    work = args.work or tempfile.mkdtemp(prefix="train_fixtures.")
    os.makedirs(work, exist_ok=True)
    for cfg in (TARGET_TRAIN, DRAFT_TRAIN, REVERSE_TRAIN):
        cfg["steps"] = max(2, int(cfg["steps"] * args.scale))
    DRAFT_IMITATION["steps"] = max(2, int(DRAFT_IMITATION["steps"] * args.scale))
    DRAFT_IMITATION["sequences"] = max(32, int(DRAFT_IMITATION["sequences"] * args.scale))
    metrics = {"command": " ".join(["/usr/bin/python3", "models/train_fixtures.py"] + sys.argv[1:]),
               "torch": torch.__version__, "onnx": onnx.__version__}
    begin = time.time()

    # Corpus and splits.
    novels = fetch_novels(work)
    splits = split_novels(novels)
    texts = {k: {n: as_text(v[n]) for n in NOVELS} for k, v in splits.items()}
    metrics["splits"] = {k: {n: {"lines": len(splits[k][n]), "chars": len(texts[k][n])} for n in NOVELS}
                         for k in splits}
    heldout = "".join(texts["test"][n] for n in NOVELS)
    with open(os.path.join(out, "heldout.txt"), "w") as f:
        f.write(heldout)
    with open(os.path.join(out, "calibration.txt"), "w") as f:
        f.write(calibration_text(splits["train"]))
    for k in splits:
        log(f"split {k}: {sum(len(splits[k][n]) for n in NOVELS)} lines, "
            f"{sum(len(texts[k][n]) for n in NOVELS)} chars")

    # Tokenizer.
    sp = train_tokenizer(splits["train"], os.path.join(out, "tokenizer.model"))
    train_streams = [torch.tensor(sp.encode(texts["train"][n])) for n in NOVELS]
    val_text = "".join(texts["val"][n] for n in NOVELS)
    val_ids, heldout_ids = sp.encode(val_text), sp.encode(heldout)
    metrics["tokens"] = {"train": sum(len(s) for s in train_streams), "val": len(val_ids),
                         "heldout": len(heldout_ids)}
    log("tokens:", metrics["tokens"])

    # Target and draft.
    trained = {}
    for name, cls, arch, cfg, context in (("target", zoo.Llama, TARGET, TARGET_TRAIN, CONTEXT),
                                          ("draft", zoo.GPT2, DRAFT, DRAFT_TRAIN, DRAFT_CONTEXT)):
        torch.manual_seed(cfg["seed"])
        model = cls(**arch)
        checkpoint = os.path.join(work, name + ".pt")
        if name in kept:
            weights_from_export(model, os.path.join(out, f"{name}-with-past.onnx"))
            seconds, history = earlier[name]["train_seconds"], earlier[name]["history"]
            log(f"{name}: kept from {out}")
        elif args.reuse and os.path.exists(checkpoint):
            model.load_state_dict(torch.load(checkpoint))
            model.eval()
            seconds, history = None, None
            log(f"{name}: reused {checkpoint}")
        else:
            seconds, history = train_lm(name, model, cfg, context, train_streams, val_ids)
            torch.save(model.state_dict(), checkpoint)
        entry = {"parameters": sum(p.numel() for p in model.parameters()), "steps": cfg["steps"],
                 "train_seconds": seconds, "history": history}
        for split, ids in (("val", val_ids), ("heldout", heldout_ids)):
            nll, count = perplexity(model, ids, context)
            chars = len(val_text if split == "val" else heldout)
            entry[split] = {"nll": nll, "perplexity": math.exp(nll), "tokens": count,
                            "bits_per_char": nll * count / chars / math.log(2)}
            log(f"{name} {split}: loss {nll:.4f} perplexity {math.exp(nll):.2f} "
                f"({entry[split]['bits_per_char']:.3f} bits/char over {count} tokens)")
        metrics[name] = entry
        trained[name] = model

    # The distilled draft: the draft, fine-tuned on the target's greedy
    # continuations (DRAFT_IMITATION).
    distilled = copy.deepcopy(trained["draft"])
    started = time.time()
    sequences = imitation_data(trained["target"], train_streams, DRAFT_IMITATION)
    generated = time.time() - started
    log(f"draft-distilled: {DRAFT_IMITATION['sequences']} target continuations in {generated:.1f}s")
    entry = dict(DRAFT_IMITATION, generate_seconds=generated,
                 train_seconds=imitate("draft-distilled", distilled, DRAFT_IMITATION, sequences, train_streams,
                                       DRAFT_CONTEXT))
    for split, ids in (("val", val_ids), ("heldout", heldout_ids)):
        nll, count = perplexity(distilled, ids, DRAFT_CONTEXT)
        entry[split] = {"nll": nll, "perplexity": math.exp(nll), "tokens": count}
        log(f"draft-distilled {split}: loss {nll:.4f} perplexity {math.exp(nll):.2f} over {count} tokens")
    metrics["draft-distilled"] = entry
    trained["draft-distilled"] = distilled

    # What speculative greedy decoding asks of a draft, on held-out prompts.
    heldout_prompts = sample_windows([torch.tensor(heldout_ids)], torch.ones(1),
                                     torch.Generator().manual_seed(5), 64, DRAFT_IMITATION["prompt"])
    continuations = greedy_continuations(trained["target"], heldout_prompts, DRAFT_IMITATION["new_tokens"])
    for name in ("draft", "draft-distilled"):
        agreement = greedy_agreement(trained["target"], trained[name], continuations, DRAFT_IMITATION["prompt"])
        metrics[name]["greedy_agreement"] = agreement
        log(f"{name} predicts the target's greedy token {agreement:.1%} of the time "
            f"(64 held-out prompts, {DRAFT_IMITATION['new_tokens']} tokens each)")

    prompt = "It is a truth universally acknowledged"
    sample = greedy(trained["target"], [BOS] + sp.encode(prompt), 80)
    metrics["sample"] = {"prompt": prompt, "new_tokens": 80, "text": sp.decode(sample[1:])}
    log("greedy sample (target):", repr(metrics["sample"]["text"]))
    draft_sample = greedy(trained["draft"], [BOS] + sp.encode(prompt), 40)
    metrics["draft_sample"] = sp.decode(draft_sample[1:])
    log("greedy sample (draft):", repr(metrics["draft_sample"]))

    # Encoder-decoder.
    if "reverse" in kept:
        encoder, decoder = reverse_models()
        weights_from_export(encoder, os.path.join(out, "reverse-encoder.onnx"))
        weights_from_export(decoder, os.path.join(out, "reverse-decoder-with-past.onnx"))
        seconds = earlier["reverse"]["train_seconds"]
        accuracy = reverse_accuracy(encoder, decoder, torch.Generator().manual_seed(7), 1000)
        log(f"reverse: kept from {out}, greedy exact match {accuracy:.3f} on 1000 new lists")
    else:
        encoder, decoder, seconds, accuracy = train_reverse()
    metrics["reverse"] = {"parameters": sum(p.numel() for m in (encoder, decoder) for p in m.parameters()),
                          "steps": REVERSE_TRAIN["steps"], "train_seconds": seconds,
                          "greedy_exact_match": accuracy}

    # Exports.
    torch.manual_seed(0)  # the exporter's example inputs
    export_decoder_only("target", trained["target"], out, with_positions=True)
    export_decoder_only("draft", trained["draft"], out, with_positions=True)
    export_decoder_only("draft-distilled", trained["draft-distilled"], out, with_positions=True)
    export_reverse(encoder, decoder, out)

    # Checks.
    cases, cache_errors = [], {}
    for name in ("target", "draft", "draft-distilled"):
        model_cases, cache_errors[name] = decoder_only_cases(trained[name], heldout_ids[:32], True)
        cases += [(f"{name}-{suffix}", feeds, expected) for suffix, feeds, expected in model_cases]
    reverse, cache_errors["reverse"] = reverse_cases(encoder, decoder)
    cases += reverse
    log("torch cached step vs whole sequence, max abs error:", cache_errors)
    metrics["cache_vs_whole_max_abs"] = cache_errors
    metrics["checks"] = check_exports(out, cases, args.genc, os.path.join(work, "checks"))

    metrics["total_seconds"] = time.time() - begin
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)
        f.write("\n")
    write_sums(out)
    if not args.work:
        shutil.rmtree(work)
    log(f"done in {metrics['total_seconds']:.0f}s")
    failed = [name for name, result in metrics["checks"].items() if result.get("genc", "ok") != "ok"]
    if failed:
        sys.exit(f"genc's checks failed for {', '.join(failed)} (metrics.json says how)")


if __name__ == "__main__":
    main()
