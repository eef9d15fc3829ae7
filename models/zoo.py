#!/usr/bin/python3
"""Builds genc's model zoo: small decoders in the styles of GPT-2, LLaMA,
Mistral, Mixtral (an eager sparse mixture of experts), Qwen2, Qwen3, GPT-NeoX,
GPT-J, OPT, Falcon, Gemma 2, BLOOM, Phi, Phi-3 and MPT, and encoder-decoders
(one also in Optimum's seq2seq layout: decoder_model, decoder_with_past_model
and the merged decoder), exported by torch.onnx.export at opsets 14 and 17,
with and without a KV cache, plus hand-built graphs of opset-23 and
com.microsoft ops.

Usage: /usr/bin/python3 models/zoo.py OUT_DIR [--benchmark-models | --long-context-model]

Weights are random with a fixed seed; the exports are deterministic. With
--benchmark-models only the two benchmark models are built (opset 17, with
and without a KV cache): a GPT-2-small-sized GPT-2 (12 layers, d=768,
vocab 50257, about 650 MB) and a LLaMA of similar size (12 layers, d=768,
12 query / 4 KV heads, SwiGLU 2048, vocab 32000, about 500 MB). With
--long-context-model only llama-long (opset 17): 8 layers, d 256, 8 query
and 8 KV heads, SwiGLU 688, vocab 1024, rotary tables for
--max-positions: 6.8 M parameters (32 MB with 16k positions of rotary
tables), so that at 16k positions its KV cache (16 KiB a position, 256
MiB) outweighs its weights eight times over.
"""
import argparse
import math
import os
import sys

import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import handbuilt  # noqa: E402

OPSETS = (14, 17)


# --------------------------------------------------------------------------
# GPT-2 style: learned positions, LayerNorm, GELU, biases, tied embeddings.
# --------------------------------------------------------------------------
def decoder_outputs(model, logits, presents, past):
    """A decoder's outputs: the logits, then its presents where it takes a
    past, or where it returns them without one (`model.presents_without_past`,
    as Optimum's decoder_model.onnx does)."""
    return (logits, *presents) if past or getattr(model, "presents_without_past", False) else logits


class GPT2Attention(nn.Module):
    def __init__(self, d, heads, max_pos):
        super().__init__()
        self.heads, self.dh = heads, d // heads
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)
        self.register_buffer(
            "bias", torch.tril(torch.ones(max_pos, max_pos, dtype=torch.bool)).view(1, 1, max_pos, max_pos))

    def split(self, x):
        b, s, _ = x.shape
        return x.view(b, s, self.heads, self.dh).transpose(1, 2)

    def forward(self, x, additive_mask, past_k=None, past_v=None):
        q, k, v = self.c_attn(x).split(x.shape[-1], dim=2)
        q, k, v = self.split(q), self.split(k), self.split(v)
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.dh)
        ql, kl = q.shape[-2], k.shape[-2]
        causal = self.bias[:, :, kl - ql:kl, :kl]
        scores = torch.where(causal, scores, torch.tensor(torch.finfo(scores.dtype).min))
        probs = torch.softmax(scores + additive_mask, dim=-1)
        y = torch.matmul(probs, v).transpose(1, 2).contiguous()
        y = y.view(y.shape[0], y.shape[1], -1)
        return self.c_proj(y), k, v


class GPT2Block(nn.Module):
    def __init__(self, d, heads, max_pos):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d)
        self.attn = GPT2Attention(d, heads, max_pos)
        self.ln_2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d)
        self.proj = nn.Linear(4 * d, d)

    def forward(self, x, mask, past_k=None, past_v=None):
        a, k, v = self.attn(self.ln_1(x), mask, past_k, past_v)
        x = x + a
        x = x + self.proj(F.gelu(self.fc(self.ln_2(x))))
        return x, k, v


class GPT2(nn.Module):
    """With position_ids=True the model takes position_ids [batch, sequence]
    after attention_mask (so left-padded batches get their own positions);
    by default positions count from the past length, as GPT-2's exports do."""

    def __init__(self, vocab=256, d=64, layers=2, heads=4, max_pos=128, position_ids=False):
        super().__init__()
        self.takes_position_ids = position_ids
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(max_pos, d)
        self.blocks = nn.ModuleList(GPT2Block(d, heads, max_pos) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)
        self.layers, self.heads, self.dh = layers, heads, d // heads

    def forward(self, input_ids, attention_mask, *rest):
        if self.takes_position_ids:
            positions, past = rest[0], rest[1:]
        else:
            past = rest
            past_len = past[0].shape[2] if past else 0
            positions = torch.arange(past_len, past_len + input_ids.shape[1], dtype=torch.long).unsqueeze(0)
        x = self.wte(input_ids) + self.wpe(positions)
        mask = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        presents = []
        for i, block in enumerate(self.blocks):
            pk, pv = (past[2 * i], past[2 * i + 1]) if past else (None, None)
            x, k, v = block(x, mask, pk, pv)
            presents += [k, v]
        logits = torch.matmul(self.ln_f(x), self.wte.weight.t())  # tied embeddings
        return decoder_outputs(self, logits, presents, past)


# --------------------------------------------------------------------------
# LLaMA style: RMSNorm, rotary embeddings, SwiGLU, GQA, no biases.
# --------------------------------------------------------------------------
class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d) + 0.1 * torch.randn(d))
        self.eps = eps

    def forward(self, x):
        variance = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(variance + self.eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class LlamaAttention(nn.Module):
    # transformers' eager attention since 4.38 slices the mask to the keys;
    # Phi-3's and Qwen3's to the keys after repeat_kv.
    mask_sliced_to_keys = False
    mask_sliced_after_repeat = False

    def __init__(self, d, heads, kv_heads, max_pos):
        super().__init__()
        self.heads, self.kv_heads, self.dh = heads, kv_heads, d // heads
        self.q_proj = nn.Linear(d, heads * self.dh, bias=False)
        self.k_proj = nn.Linear(d, kv_heads * self.dh, bias=False)
        self.v_proj = nn.Linear(d, kv_heads * self.dh, bias=False)
        self.o_proj = nn.Linear(heads * self.dh, d, bias=False)
        inv_freq = 1.0 / (10000 ** (torch.arange(0, self.dh, 2).float() / self.dh))
        angles = torch.outer(torch.arange(max_pos).float(), inv_freq)
        emb = torch.cat([angles, angles], dim=-1)
        self.register_buffer("cos_cached", emb.cos())
        self.register_buffer("sin_cached", emb.sin())

    def repeat_kv(self, x):
        b, h, s, dh = x.shape
        n = self.heads // self.kv_heads
        return x[:, :, None, :, :].expand(b, h, n, s, dh).reshape(b, h * n, s, dh)

    def scores(self, q, k):
        """The scores of the queries against the keys, repeated to the heads."""
        return torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.dh)

    def project(self, x):
        """Q, K and V as [batch, sequence, heads, head size]."""
        b, s, _ = x.shape
        return (self.q_proj(x).view(b, s, self.heads, self.dh),
                self.k_proj(x).view(b, s, self.kv_heads, self.dh),
                self.v_proj(x).view(b, s, self.kv_heads, self.dh))

    def forward(self, x, mask, positions, past_k=None, past_v=None):
        b, s, _ = x.shape
        q, k, v = (t.transpose(1, 2) for t in self.project(x))
        cos, sin = self.cos_cached[positions].unsqueeze(1), self.sin_cached[positions].unsqueeze(1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        repeated_k, repeated_v = self.repeat_kv(k), self.repeat_kv(v)
        if self.mask_sliced_to_keys:
            mask = mask[:, :, :, : (repeated_k if self.mask_sliced_after_repeat else k).shape[-2]]
        probs = torch.softmax(self.scores(q, repeated_k) + mask, dim=-1)
        y = torch.matmul(probs, repeated_v).transpose(1, 2).reshape(b, s, -1)
        return self.o_proj(y), k, v


class LlamaBlock(nn.Module):
    """attention: another attention module of the same interface (Qwen2's);
    mlp: another module in place of the SwiGLU MLP (Mixtral's experts)."""

    def __init__(self, d, heads, kv_heads, ffn, max_pos, attention=None, mlp=None):
        super().__init__()
        self.input_layernorm = RMSNorm(d)
        self.attn = attention if attention is not None else LlamaAttention(d, heads, kv_heads, max_pos)
        self.post_attention_layernorm = RMSNorm(d)
        if mlp is not None:
            self.mlp = mlp
        else:
            self.gate = nn.Linear(d, ffn, bias=False)
            self.up = nn.Linear(d, ffn, bias=False)
            self.down = nn.Linear(ffn, d, bias=False)

    def feed_forward(self, h):
        if hasattr(self, "mlp"):
            return self.mlp(h)
        return self.down(F.silu(self.gate(h)) * self.up(h))

    def forward(self, x, mask, positions, past_k=None, past_v=None):
        a, k, v = self.attn(self.input_layernorm(x), mask, positions, past_k, past_v)
        x = x + a
        return x + self.feed_forward(self.post_attention_layernorm(x)), k, v


class Llama(nn.Module):
    def __init__(self, vocab=256, d=64, layers=2, heads=8, kv_heads=2, ffn=172, max_pos=128):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList(self.make_block(d, heads, kv_heads, ffn, max_pos) for _ in range(layers))
        self.norm = RMSNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.layers, self.heads, self.kv_heads, self.dh = layers, heads, kv_heads, d // heads

    def make_block(self, d, heads, kv_heads, ffn, max_pos):
        return LlamaBlock(d, heads, kv_heads, ffn, max_pos)

    def visible_keys(self, s, total):
        """Causal over past ++ new: query i sees keys j <= i + past_len."""
        return torch.ones(s, total, dtype=torch.bool).tril(diagonal=total - s)

    def additive_mask(self, attention_mask, s, past_len):
        causal = self.visible_keys(s, attention_mask.shape[1])
        allowed = causal[None, None, :, :] & attention_mask[:, None, None, :].bool()
        return torch.where(allowed, torch.tensor(0.0), torch.tensor(torch.finfo(torch.float32).min))

    def forward(self, input_ids, attention_mask, position_ids, *past):
        x = self.embed(input_ids)
        mask = self.additive_mask(attention_mask, input_ids.shape[1], past[0].shape[2] if past else 0)
        presents = []
        for i, block in enumerate(self.blocks):
            pk, pv = (past[2 * i], past[2 * i + 1]) if past else (None, None)
            x, k, v = block(x, mask, position_ids, pk, pv)
            presents += [k, v]
        logits = self.lm_head(self.norm(x))
        return decoder_outputs(self, logits, presents, past)


class Mistral(Llama):
    """LLaMA with a sliding window built in the graph, as Hugging Face's
    Mistral masks: query i sees keys j with i + past - W < j <= i + past."""

    def __init__(self, window=4, **kwargs):
        super().__init__(**kwargs)
        self.window = window

    def visible_keys(self, s, total):
        ones = torch.ones(s, total, dtype=torch.bool)
        return ones.tril(diagonal=total - s) & ones.triu(diagonal=total - s - self.window + 1)


class Mistral436(Mistral):
    """Mistral with the mask of transformers 4.36 (AttentionMaskConverter.to_4d
    with a sliding window): the past's length a Python 0 without a cache,
    the window as 1 - triu(ones, past - W + 1) filled into the causal table."""

    def additive_mask(self, attention_mask, s, past_len):
        return converter_4d_mask(attention_mask, s, past_len, sliding_window=self.window)


class CachePositionMask:
    """The mask of transformers 4.41 and later: full(min) times the keys to
    exclude, `arange(total) > cache_position` (Or-ed, with a sliding window,
    with the keys at or before cache_position - window), expanded over the
    batch; the padding (where that plus attention_mask is 0) written in by a
    slice assignment, which exports as ScatterND. Each layer slices the mask
    to its keys."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        for block in self.blocks:
            block.attn.mask_sliced_to_keys = True

    def additive_mask(self, attention_mask, s, past_len):
        total = attention_mask.shape[-1]
        minimum = torch.finfo(torch.float32).min
        window = getattr(self, "window", None)
        cache_position = torch.arange(past_len, past_len + s)
        causal = torch.full((s, total), fill_value=minimum)
        exclude = torch.arange(total) > cache_position.reshape(-1, 1)
        if window is None:
            # LLaMA's: the triangle first, when the trace has several queries.
            causal = torch.triu(causal, diagonal=1)
        else:
            # transformers' bitwise_or_, which torch 1.13 cannot export;
            # newer torch exports both as Or.
            exclude = exclude | (torch.arange(total) <= cache_position.reshape(-1, 1) - window)
        causal *= exclude
        causal = causal[None, None, :, :].expand(attention_mask.shape[0], 1, -1, -1).clone()
        padding = causal[:, :, :, :total] + attention_mask[:, None, None, :]
        padding = padding == 0
        causal[:, :, :, :total] = causal[:, :, :, :total].masked_fill(padding, minimum)
        return causal


class Llama441(CachePositionMask, Llama):
    """LLaMA as transformers 4.41 and later export it."""


class Mistral442(CachePositionMask, Mistral):
    """Mistral as transformers 4.42 and later export it: the sliding window
    compared with cache_position."""


class SparseMoe(nn.Module):
    """Mixtral's sparse mixture of experts as transformers 4.40-4.46 run it
    eagerly: softmax router, top-k experts renormalised, and a loop over the
    experts that gathers each one's tokens (NonZero), runs them, and adds
    them back with index_add_ (Expand to a one-row slice, ScatterElements).
    An expert may get no token: 2 of the 4 at a step of one token."""

    def __init__(self, d, ffn, experts, top_k):
        super().__init__()
        self.experts, self.top_k = experts, top_k
        self.router = nn.Linear(d, experts, bias=False)
        self.w1 = nn.ModuleList(nn.Linear(d, ffn, bias=False) for _ in range(experts))
        self.w3 = nn.ModuleList(nn.Linear(d, ffn, bias=False) for _ in range(experts))
        self.w2 = nn.ModuleList(nn.Linear(ffn, d, bias=False) for _ in range(experts))

    def forward(self, x):
        b, s, d = x.shape
        x = x.view(-1, d)
        weights = F.softmax(self.router(x), dim=1, dtype=torch.float)
        weights, selected = torch.topk(weights, self.top_k, dim=-1)
        weights = weights / weights.sum(dim=-1, keepdim=True)
        out = torch.zeros((b * s, d), dtype=x.dtype)
        chosen = F.one_hot(selected, num_classes=self.experts).permute(2, 1, 0)
        for e in range(self.experts):
            rank, token = torch.where(chosen[e])
            h = x[None, token].reshape(-1, d)
            h = self.w2[e](F.silu(self.w1[e](h)) * self.w3[e](h)) * weights[token, rank, None]
            out.index_add_(0, token, h)
        return out.reshape(b, s, d)


class Mixtral(Llama):
    """LLaMA (GQA) whose MLPs are sparse mixtures of 4 experts, 2 per token."""
    experts, top_k = 4, 2

    def __init__(self, ffn=96, **kwargs):
        super().__init__(ffn=ffn, **kwargs)

    def make_block(self, d, heads, kv_heads, ffn, max_pos):
        return LlamaBlock(d, heads, kv_heads, ffn, max_pos, mlp=SparseMoe(d, ffn, self.experts, self.top_k))


class FusedGateUp(nn.Module):
    """Phi-3's MLP: one gate_up_proj, chunked in two."""

    def __init__(self, d, ffn):
        super().__init__()
        self.gate_up = nn.Linear(d, 2 * ffn, bias=False)
        self.down = nn.Linear(ffn, d, bias=False)

    def forward(self, h):
        gate, up = self.gate_up(h).chunk(2, dim=-1)
        return self.down(up * F.silu(gate))


class Phi3Attention(LlamaAttention):
    """Phi-3's: one qkv_proj sliced into Q, K and V; the mask sliced to the
    keys after repeat_kv (transformers 4.43 to 4.46)."""
    mask_sliced_to_keys = mask_sliced_after_repeat = True

    def __init__(self, d, heads, kv_heads, max_pos):
        super().__init__(d, heads, kv_heads, max_pos)
        del self.q_proj, self.k_proj, self.v_proj
        self.qkv_proj = nn.Linear(d, (heads + 2 * kv_heads) * self.dh, bias=False)

    def project(self, x):
        b, s, _ = x.shape
        qkv = self.qkv_proj(x)
        keys_at, values_at = self.heads * self.dh, (self.heads + self.kv_heads) * self.dh
        return (qkv[..., :keys_at].view(b, s, self.heads, self.dh),
                qkv[..., keys_at:values_at].view(b, s, self.kv_heads, self.dh),
                qkv[..., values_at:].view(b, s, self.kv_heads, self.dh))


class Phi3(Mistral436):
    """Phi-3 as transformers 4.43 to 4.46 export it: AttentionMaskConverter's
    to_4d mask with a sliding window (tril(ones, P - W - 1) filled: the last
    W + 1 = 5 keys seen), fused QKV and gate/up projections."""

    def additive_mask(self, attention_mask, s, past_len):
        return converter_4d_mask(attention_mask, s, past_len, sliding_window=self.window, window_by_tril=True)

    def make_block(self, d, heads, kv_heads, ffn, max_pos):
        return LlamaBlock(d, heads, kv_heads, ffn, max_pos,
                          attention=Phi3Attention(d, heads, kv_heads, max_pos), mlp=FusedGateUp(d, ffn))


class Qwen3Attention(LlamaAttention):
    """Qwen3's: an RMSNorm over each head of the queries and of the keys,
    before the rotary embedding; the mask sliced to the repeated keys."""
    mask_sliced_after_repeat = True

    def __init__(self, d, heads, kv_heads, max_pos):
        super().__init__(d, heads, kv_heads, max_pos)
        self.q_norm, self.k_norm = RMSNorm(self.dh), RMSNorm(self.dh)

    def project(self, x):
        q, k, v = super().project(x)
        return self.q_norm(q), self.k_norm(k), v


class Qwen3(CachePositionMask, Llama):
    """Qwen3 as transformers 4.51 exports it: LLaMA's cache_position mask,
    QK-norm."""

    def make_block(self, d, heads, kv_heads, ffn, max_pos):
        return LlamaBlock(d, heads, kv_heads, ffn, max_pos, attention=Qwen3Attention(d, heads, kv_heads, max_pos))


def causal_additive_mask(attention_mask, s):
    """0 where query i (of the last s positions) may see key j (causal over
    past ++ new, and not padding), the float minimum elsewhere."""
    total = attention_mask.shape[1]
    causal = torch.ones(s, total, dtype=torch.bool).tril(diagonal=total - s)
    allowed = causal[None, None, :, :] & attention_mask[:, None, None, :].bool()
    return torch.where(allowed, torch.tensor(0.0), torch.tensor(torch.finfo(torch.float32).min))


class DecoderStack(nn.Module):
    """Embeddings → blocks(x, mask, positions, past K/V) → final norm → LM
    head, with the Optimum cache I/O; subclasses choose the parts (`embed`,
    `blocks`, `norm`, `lm_head`) or, with other inputs, their forward."""

    def forward(self, input_ids, attention_mask, position_ids, *past):
        mask = self.additive_mask(attention_mask, input_ids.shape[1])
        x, presents = self.run_blocks(self.embed(input_ids), mask, position_ids, past)
        logits = self.lm_head(self.norm(x))
        return decoder_outputs(self, logits, presents, past)

    def additive_mask(self, attention_mask, s):
        return causal_additive_mask(attention_mask, s)

    def run_blocks(self, x, mask, positions, past):
        presents = []
        for i, block in enumerate(self.blocks):
            pk, pv = (past[2 * i], past[2 * i + 1]) if past else (None, None)
            x, k, v = block(x, mask, positions, pk, pv)
            presents += [k, v]
        return x, presents


# --------------------------------------------------------------------------
# Qwen2 style: LLaMA with Q/K/V biases and, as Hugging Face's exports have
# it, rotary tables computed in the graph from position_ids (inv_freq ⊗
# positions → cos/sin), rotate-half on heads after Linear → view → transpose.
# --------------------------------------------------------------------------
class Qwen2Attention(nn.Module):
    def __init__(self, d, heads, kv_heads):
        super().__init__()
        self.heads, self.kv_heads, self.dh = heads, kv_heads, d // heads
        self.q_proj = nn.Linear(d, heads * self.dh)
        self.k_proj = nn.Linear(d, kv_heads * self.dh)
        self.v_proj = nn.Linear(d, kv_heads * self.dh)
        self.o_proj = nn.Linear(heads * self.dh, d, bias=False)
        self.register_buffer("inv_freq", 1.0 / (10000 ** (torch.arange(0, self.dh, 2).float() / self.dh)))

    def forward(self, x, mask, positions, past_k=None, past_v=None):
        b, s, _ = x.shape
        q = self.q_proj(x).view(b, s, -1, self.dh).transpose(1, 2)
        k = self.k_proj(x).view(b, s, -1, self.dh).transpose(1, 2)
        v = self.v_proj(x).view(b, s, -1, self.dh).transpose(1, 2)
        freqs = positions[:, :, None].float() * self.inv_freq[None, None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos().unsqueeze(1), emb.sin().unsqueeze(1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        n = self.heads // self.kv_heads
        kr = k[:, :, None].expand(b, self.kv_heads, n, k.shape[2], self.dh).reshape(b, self.heads, -1, self.dh)
        vr = v[:, :, None].expand(b, self.kv_heads, n, v.shape[2], self.dh).reshape(b, self.heads, -1, self.dh)
        probs = torch.softmax(torch.matmul(q, kr.transpose(2, 3)) / math.sqrt(self.dh) + mask, dim=-1)
        return self.o_proj(torch.matmul(probs, vr).transpose(1, 2).reshape(b, s, -1)), k, v


class Qwen2(DecoderStack):
    def __init__(self, vocab=256, d=128, layers=2, heads=4, kv_heads=2, ffn=256):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList(LlamaBlock(d, heads, kv_heads, ffn, max_pos=0,
                                               attention=Qwen2Attention(d, heads, kv_heads))
                                    for _ in range(layers))
        self.norm = RMSNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.layers, self.heads, self.kv_heads, self.dh = layers, heads, kv_heads, d // heads


class Qwen2NoPositions(Qwen2):
    """Qwen2 exported without position_ids, as transformers' decoders are when
    the caller gives none: positions arange(P, P + S) of one row
    (cache_position.unsqueeze(0)), whose rotary angles broadcast over the
    batch."""

    def forward(self, input_ids, attention_mask, *past):
        past_len = past[0].shape[2] if past else 0
        positions = torch.arange(past_len, past_len + input_ids.shape[1], dtype=torch.long).unsqueeze(0)
        return super().forward(input_ids, attention_mask, positions, *past)


# --------------------------------------------------------------------------
# GPT-NeoX / Pythia style: fused QKV laid out per head, partial rotary
# (the first quarter of each head), parallel residual, GELU, biases.
# --------------------------------------------------------------------------
class NeoXAttention(nn.Module):
    def __init__(self, d, heads, rotary_pct, max_pos):
        super().__init__()
        self.heads, self.dh = heads, d // heads
        self.rot = int(self.dh * rotary_pct)
        self.query_key_value = nn.Linear(d, 3 * d)
        self.dense = nn.Linear(d, d)
        inv_freq = 1.0 / (10000 ** (torch.arange(0, self.rot, 2).float() / self.rot))
        emb = torch.outer(torch.arange(max_pos).float(), inv_freq).repeat(1, 2)
        self.register_buffer("cos_cached", emb.cos()[None, None])
        self.register_buffer("sin_cached", emb.sin()[None, None])

    def forward(self, x, mask, positions, past_k=None, past_v=None):
        b, s, _ = x.shape
        qkv = self.query_key_value(x).view(b, s, self.heads, 3 * self.dh).permute(0, 2, 1, 3)
        q, k, v = qkv[..., :self.dh], qkv[..., self.dh:2 * self.dh], qkv[..., 2 * self.dh:]
        q_rot, q_pass = q[..., :self.rot], q[..., self.rot:]
        k_rot, k_pass = k[..., :self.rot], k[..., self.rot:]
        total = s + (past_k.shape[2] if past_k is not None else 0)
        cos = self.cos_cached[:, :, :total][0, 0][positions].unsqueeze(1)
        sin = self.sin_cached[:, :, :total][0, 0][positions].unsqueeze(1)
        q = torch.cat((q_rot * cos + rotate_half(q_rot) * sin, q_pass), dim=-1)
        k = torch.cat((k_rot * cos + rotate_half(k_rot) * sin, k_pass), dim=-1)
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        scores = torch.matmul(q, k.transpose(2, 3)) * (1.0 / math.sqrt(self.dh))
        probs = torch.softmax(scores + mask, dim=-1)
        return self.dense(torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(b, s, -1)), k, v


class NeoXBlock(nn.Module):
    def __init__(self, d, heads, rotary_pct, max_pos):
        super().__init__()
        self.input_layernorm = nn.LayerNorm(d)
        self.post_attention_layernorm = nn.LayerNorm(d)
        self.attention = NeoXAttention(d, heads, rotary_pct, max_pos)
        self.fc_in = nn.Linear(d, 4 * d)
        self.fc_out = nn.Linear(4 * d, d)

    def forward(self, x, mask, positions, past_k=None, past_v=None):
        a, k, v = self.attention(self.input_layernorm(x), mask, positions, past_k, past_v)
        mlp = self.fc_out(F.gelu(self.fc_in(self.post_attention_layernorm(x))))
        return x + a + mlp, k, v


class NeoX(DecoderStack):
    def __init__(self, vocab=256, d=128, layers=2, heads=4, rotary_pct=0.25, max_pos=128):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList(NeoXBlock(d, heads, rotary_pct, max_pos) for _ in range(layers))
        self.norm = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.layers, self.heads, self.dh = layers, heads, d // heads


# --------------------------------------------------------------------------
# Falcon style: one fused QKV projection with a single KV head (MQA), which
# the scores' matmul broadcasts over the query heads; rotary; attention
# and MLP in parallel on one LayerNorm; no biases.
# --------------------------------------------------------------------------
class FalconAttention(nn.Module):
    def __init__(self, d, heads, max_pos):
        super().__init__()
        self.heads, self.dh = heads, d // heads
        self.query_key_value = nn.Linear(d, (heads + 2) * self.dh, bias=False)
        self.dense = nn.Linear(d, d, bias=False)
        inv_freq = 1.0 / (10000 ** (torch.arange(0, self.dh, 2).float() / self.dh))
        emb = torch.outer(torch.arange(max_pos).float(), inv_freq).repeat(1, 2)
        self.register_buffer("cos_cached", emb.cos())
        self.register_buffer("sin_cached", emb.sin())

    def forward(self, x, mask, positions, past_k=None, past_v=None):
        b, s, _ = x.shape
        fused = self.query_key_value(x).view(b, s, self.heads + 2, self.dh)
        q = fused[:, :, :-2].transpose(1, 2)
        k = fused[:, :, [-2]].transpose(1, 2)
        v = fused[:, :, [-1]].transpose(1, 2)
        cos, sin = self.cos_cached[positions].unsqueeze(1), self.sin_cached[positions].unsqueeze(1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.dh)
        probs = torch.softmax(scores + mask, dim=-1)
        return self.dense(torch.matmul(probs, v).transpose(1, 2).reshape(b, s, -1)), k, v


class FalconBlock(nn.Module):
    def __init__(self, d, heads, max_pos):
        super().__init__()
        self.input_layernorm = nn.LayerNorm(d)
        self.self_attention = FalconAttention(d, heads, max_pos)
        self.dense_h_to_4h = nn.Linear(d, 4 * d, bias=False)
        self.dense_4h_to_h = nn.Linear(4 * d, d, bias=False)

    def forward(self, x, mask, positions, past_k=None, past_v=None):
        h = self.input_layernorm(x)
        a, k, v = self.self_attention(h, mask, positions, past_k, past_v)
        return x + a + self.dense_4h_to_h(F.gelu(self.dense_h_to_4h(h))), k, v


class Falcon(DecoderStack):
    def __init__(self, vocab=256, d=128, layers=2, heads=4, max_pos=128):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList(FalconBlock(d, heads, max_pos) for _ in range(layers))
        self.norm = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.layers, self.heads, self.kv_heads, self.dh = layers, heads, 1, d // heads


# --------------------------------------------------------------------------
# Gemma 2 style: embeddings scaled by sqrt(d), RMSNorm scaling by (1 + w),
# norms before and after attention and MLP, GQA, rotary, queries scaled by
# query_pre_attn_scalar^-1/2, attention logits soft-capped (50·tanh(s/50))
# before the mask, GeGLU (tanh GELU), final logits soft-capped (30).
# --------------------------------------------------------------------------
class GemmaRMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(0.1 * torch.randn(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * (1.0 + self.weight)


class GemmaAttention(LlamaAttention):
    def __init__(self, d, heads, kv_heads, max_pos, head_dim, softcap=50.0):
        super().__init__(heads * head_dim, heads, kv_heads, max_pos)
        self.q_proj = nn.Linear(d, heads * head_dim, bias=False)
        self.k_proj = nn.Linear(d, kv_heads * head_dim, bias=False)
        self.v_proj = nn.Linear(d, kv_heads * head_dim, bias=False)
        self.o_proj = nn.Linear(heads * head_dim, d, bias=False)
        self.softcap, self.scale = softcap, head_dim ** -0.5

    def scores(self, q, k):
        scores = torch.matmul(q, k.transpose(2, 3)) * self.scale
        return torch.tanh(scores / self.softcap) * self.softcap


class GemmaBlock(nn.Module):
    def __init__(self, d, heads, kv_heads, ffn, max_pos, head_dim):
        super().__init__()
        self.input_layernorm = GemmaRMSNorm(d)
        self.self_attn = GemmaAttention(d, heads, kv_heads, max_pos, head_dim)
        self.post_attention_layernorm = GemmaRMSNorm(d)
        self.pre_feedforward_layernorm = GemmaRMSNorm(d)
        self.post_feedforward_layernorm = GemmaRMSNorm(d)
        self.gate = nn.Linear(d, ffn, bias=False)
        self.up = nn.Linear(d, ffn, bias=False)
        self.down = nn.Linear(ffn, d, bias=False)

    # Gemma 2's sliding layers: the keys at least this far before the query
    # row are filled out of the model's mask.
    sliding_window = None

    @property
    def attn(self):
        """LlamaBlock's name for the attention (CachePositionMask sets it up)."""
        return self.self_attn

    def forward(self, x, mask, positions, past_k=None, past_v=None):
        if self.sliding_window:
            # transformers 4.42-4.44: relative to the mask's rows, so a
            # window only without a past.
            before = torch.tril(torch.ones_like(mask, dtype=torch.bool), diagonal=-self.sliding_window)
            mask = torch.where(before, torch.tensor(torch.finfo(torch.float32).min), mask)
        a, k, v = self.self_attn(self.input_layernorm(x), mask, positions, past_k, past_v)
        x = x + self.post_attention_layernorm(a)
        h = self.pre_feedforward_layernorm(x)
        m = self.down(F.gelu(self.gate(h), approximate="tanh") * self.up(h))
        return x + self.post_feedforward_layernorm(m), k, v


class Gemma(DecoderStack):
    def __init__(self, vocab=256, d=96, layers=2, heads=4, kv_heads=2, head_dim=32, ffn=192,
                 max_pos=128):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList(GemmaBlock(d, heads, kv_heads, ffn, max_pos, head_dim)
                                    for _ in range(layers))
        self.norm = GemmaRMSNorm(d)
        self.lm_head_weight = nn.Linear(d, vocab, bias=False)
        self.d = d
        self.layers, self.heads, self.kv_heads, self.dh = layers, heads, kv_heads, head_dim

    def embed(self, input_ids):
        return self.embed_tokens(input_ids) * torch.tensor(self.d ** 0.5)

    def lm_head(self, x):
        return torch.tanh(self.lm_head_weight(x) / 30.0) * 30.0


class Gemma242(CachePositionMask, Gemma):
    """Gemma 2 as transformers 4.42-4.44 export it: the mask of 4.41, and
    every other layer (the even ones) sliding, its window filled into that
    mask."""

    def __init__(self, sliding_window=4, **kwargs):
        super().__init__(**kwargs)
        for block in self.blocks[::2]:
            block.sliding_window = sliding_window

    def forward(self, input_ids, attention_mask, position_ids, *past):
        past_len = past[0].shape[2] if past else 0
        mask = self.additive_mask(attention_mask, input_ids.shape[1], past_len)
        x, presents = self.run_blocks(self.embed(input_ids), mask, position_ids, past)
        return decoder_outputs(self, self.lm_head(self.norm(x)), presents, past)


# --------------------------------------------------------------------------
# BLOOM style: no position embeddings but ALiBi, a linear bias per head on
# the key's position (counted from the attention mask's cumulative sum, as
# Hugging Face's BLOOM does) added to the scaled scores; LayerNorm after the
# embeddings; fused QKV laid out per head; tanh GELU; tied LM head.
# --------------------------------------------------------------------------
def alibi_slopes(heads):
    """BLOOM's slopes for a power-of-two number of heads: 2^(-8i/heads)."""
    return torch.tensor([2.0 ** (-8.0 * (i + 1) / heads) for i in range(heads)])


class BloomAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.dh = heads, d // heads
        self.query_key_value = nn.Linear(d, 3 * d)
        self.dense = nn.Linear(d, d)

    def forward(self, x, mask, alibi, past_k=None, past_v=None):
        b, s, _ = x.shape
        fused = self.query_key_value(x).view(b, s, self.heads, 3, self.dh)
        q, k, v = (fused[..., i, :].transpose(1, 2) for i in range(3))
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(self.dh)) + alibi
        probs = torch.softmax(scores + mask, dim=-1)
        return self.dense(torch.matmul(probs, v).transpose(1, 2).reshape(b, s, -1)), k, v


class BloomBlock(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.input_layernorm = nn.LayerNorm(d)
        self.self_attention = BloomAttention(d, heads)
        self.post_attention_layernorm = nn.LayerNorm(d)
        self.dense_h_to_4h = nn.Linear(d, 4 * d)
        self.dense_4h_to_h = nn.Linear(4 * d, d)

    def forward(self, x, mask, alibi, past_k=None, past_v=None):
        a, k, v = self.self_attention(self.input_layernorm(x), mask, alibi, past_k, past_v)
        x = x + a
        h = F.gelu(self.dense_h_to_4h(self.post_attention_layernorm(x)), approximate="tanh")
        return x + self.dense_4h_to_h(h), k, v


class Bloom(DecoderStack):
    def __init__(self, vocab=256, d=128, layers=2, heads=4):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, d)
        self.word_embeddings_layernorm = nn.LayerNorm(d)
        self.blocks = nn.ModuleList(BloomBlock(d, heads) for _ in range(layers))
        self.norm = nn.LayerNorm(d)
        self.register_buffer("slopes", alibi_slopes(heads))
        self.layers, self.heads, self.dh = layers, heads, d // heads

    def forward(self, input_ids, attention_mask, *past):
        x = self.word_embeddings_layernorm(self.word_embeddings(input_ids))
        mask = causal_additive_mask(attention_mask, input_ids.shape[1])
        key_positions = ((attention_mask.cumsum(-1) - 1) * attention_mask).float()
        alibi = self.slopes[None, :, None, None] * key_positions[:, None, None, :]
        x, presents = self.run_blocks(x, mask, alibi, past)
        logits = torch.matmul(self.norm(x), self.word_embeddings.weight.t())
        return decoder_outputs(self, logits, presents, past)


# --------------------------------------------------------------------------
# Phi style (phi-2): one LayerNorm feeding attention and MLP in parallel,
# Q/K/V projections with biases, partial rotary (the first 12 of 32 dims of
# each head, tables computed in the graph from position_ids), tanh GELU, an
# LM head with a bias.
# --------------------------------------------------------------------------
class PhiAttention(nn.Module):
    def __init__(self, d, heads, rotary_dims):
        super().__init__()
        self.heads, self.dh, self.rot = heads, d // heads, rotary_dims
        self.q_proj, self.k_proj, self.v_proj = (nn.Linear(d, d) for _ in range(3))
        self.dense = nn.Linear(d, d)
        self.register_buffer("inv_freq", 1.0 / (10000 ** (torch.arange(0, rotary_dims, 2).float() / rotary_dims)))

    def rotate(self, x, cos, sin):
        x_rot, x_pass = x[..., :self.rot], x[..., self.rot:]
        return torch.cat((x_rot * cos + rotate_half(x_rot) * sin, x_pass), dim=-1)

    def forward(self, x, mask, positions, past_k=None, past_v=None):
        b, s, _ = x.shape
        q, k, v = (p(x).view(b, s, self.heads, self.dh).transpose(1, 2)
                   for p in (self.q_proj, self.k_proj, self.v_proj))
        freqs = positions[:, :, None].float() * self.inv_freq[None, None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos().unsqueeze(1), emb.sin().unsqueeze(1)
        q, k = self.rotate(q, cos, sin), self.rotate(k, cos, sin)
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        probs = torch.softmax(torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.dh) + mask, dim=-1)
        return self.dense(torch.matmul(probs, v).transpose(1, 2).reshape(b, s, -1)), k, v


class ParallelBlock(nn.Module):
    """Attention and a tanh-GELU MLP in parallel on one LayerNorm (Phi's and
    GPT-J's blocks)."""

    def __init__(self, d, attention):
        super().__init__()
        self.input_layernorm = nn.LayerNorm(d)
        self.self_attn = attention
        self.fc1 = nn.Linear(d, 4 * d)
        self.fc2 = nn.Linear(4 * d, d)

    def forward(self, x, mask, positions, past_k=None, past_v=None):
        h = self.input_layernorm(x)
        a, k, v = self.self_attn(h, mask, positions, past_k, past_v)
        return x + a + self.fc2(F.gelu(self.fc1(h), approximate="tanh")), k, v


class ParallelDecoder(DecoderStack):
    """Token embeddings, ParallelBlocks around `attention(d, heads,
    rotary_dims)`, a final LayerNorm and an LM head with a bias (Phi's and
    GPT-J's stacks)."""

    def __init__(self, attention, vocab, d, layers, heads, rotary_dims):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList(
            ParallelBlock(d, attention(d, heads, rotary_dims)) for _ in range(layers))
        self.norm = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab)
        self.layers, self.heads, self.dh = layers, heads, d // heads


class Phi(ParallelDecoder):
    """With the mask of transformers' AttentionMaskConverter.to_4d, as Phi's
    first exports had it."""

    def __init__(self, vocab=256, d=128, layers=2, heads=4, rotary_dims=12):
        super().__init__(PhiAttention, vocab, d, layers, heads, rotary_dims)

    def additive_mask(self, attention_mask, s):
        return converter_4d_mask(attention_mask, s)


# --------------------------------------------------------------------------
# GPT-J style: rotary on the first dims of each head, interleaved (pairs of
# adjacent dims rotate, "rotate every two"), its sin/cos gathered by
# position_ids and repeated per pair; attention and MLP in parallel on one
# LayerNorm; the causal fill applied before the scale and a padding-only
# attention mask, as Hugging Face's GPT-J has them; no QKV biases; tanh
# GELU; an LM-head bias.
# --------------------------------------------------------------------------
def rotate_every_two(x):
    return torch.stack((-x[..., 1::2], x[..., ::2]), dim=-1).flatten(-2)


class GPTJAttention(nn.Module):
    def __init__(self, d, heads, rotary_dims, max_pos=128):
        super().__init__()
        self.heads, self.dh, self.rot = heads, d // heads, rotary_dims
        self.q_proj, self.k_proj, self.v_proj = (nn.Linear(d, d, bias=False) for _ in range(3))
        self.out_proj = nn.Linear(d, d, bias=False)
        inv_freq = 1.0 / (10000 ** (torch.arange(0, rotary_dims, 2).float() / rotary_dims))
        angles = torch.outer(torch.arange(max_pos).float(), inv_freq)
        self.register_buffer("embed_positions", torch.cat((angles.sin(), angles.cos()), dim=1))
        self.register_buffer("bias", torch.ones(max_pos, max_pos, dtype=torch.bool).tril()[None, None])

    def rotate(self, x, sin, cos):
        sin, cos = (torch.repeat_interleave(t[:, :, None, :], 2, 3) for t in (sin, cos))
        rotated = x[..., :self.rot] * cos + rotate_every_two(x[..., :self.rot]) * sin
        return torch.cat([rotated, x[..., self.rot:]], dim=-1)

    def forward(self, x, mask, positions, past_k=None, past_v=None):
        b, s, d = x.shape
        q, k, v = (p(x).view(b, s, self.heads, self.dh) for p in (self.q_proj, self.k_proj, self.v_proj))
        sin, cos = self.embed_positions[positions].split(self.rot // 2, dim=-1)
        q, k = self.rotate(q, sin, cos).transpose(1, 2), self.rotate(k, sin, cos).transpose(1, 2)
        v = v.transpose(1, 2)
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        total = k.shape[2]
        causal = self.bias[:, :, total - s:total, :total]
        scores = torch.where(causal, torch.matmul(q, k.transpose(-1, -2)),
                             torch.tensor(torch.finfo(torch.float32).min))
        probs = torch.softmax(scores / math.sqrt(self.dh) + mask, dim=-1)
        return self.out_proj(torch.matmul(probs, v).transpose(1, 2).reshape(b, s, d)), k, v


class GPTJ(ParallelDecoder):
    def __init__(self, vocab=256, d=64, layers=2, heads=4, rotary_dims=8):
        super().__init__(GPTJAttention, vocab, d, layers, heads, rotary_dims)

    def forward(self, input_ids, attention_mask, position_ids, *past):
        mask = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        x, presents = self.run_blocks(self.embed(input_ids), mask, position_ids, past)
        logits = self.lm_head(self.norm(x))
        return decoder_outputs(self, logits, presents, past)


# --------------------------------------------------------------------------
# MPT style: no biases; one fused Wqkv clamped to [-c, c] (clip_qkv); ALiBi
# from the key's distance to the last position, added to the scaled scores;
# the causal and padding masks applied as Hugging Face's MPT does, with
# masked_fill of the positions to hide (Where(C, min, S)); GELU.
# --------------------------------------------------------------------------
class MPTAttention(nn.Module):
    def __init__(self, d, heads, clip_qkv=6.0):
        super().__init__()
        self.heads, self.dh, self.clip_qkv = heads, d // heads, clip_qkv
        self.Wqkv = nn.Linear(d, 3 * d, bias=False)
        self.out_proj = nn.Linear(d, d, bias=False)

    def forward(self, x, hidden, alibi, past_k=None, past_v=None):
        b, s, d = x.shape
        qkv = self.Wqkv(x).clamp(min=-self.clip_qkv, max=self.clip_qkv)
        q, k, v = (t.view(b, s, self.heads, self.dh).transpose(1, 2) for t in qkv.split(d, -1))
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        scores = q.matmul(k.transpose(-1, -2)) * self.dh ** -0.5 + alibi
        scores = scores.masked_fill(hidden, torch.finfo(scores.dtype).min)
        probs = torch.softmax(scores, dim=-1)
        return self.out_proj(torch.matmul(probs, v).transpose(1, 2).reshape(b, s, d)), k, v


class MPTBlock(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.norm_1, self.norm_2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = MPTAttention(d, heads)
        self.up_proj = nn.Linear(d, 4 * d, bias=False)
        self.down_proj = nn.Linear(4 * d, d, bias=False)

    def forward(self, x, hidden, alibi, past_k=None, past_v=None):
        a, k, v = self.attn(self.norm_1(x), hidden, alibi, past_k, past_v)
        x = x + a
        return x + self.down_proj(F.gelu(self.up_proj(self.norm_2(x)))), k, v


class RelativeDecoder(nn.Module):
    """A decoder-only model whose only positions are T5's relative buckets
    (one table for every layer), with Meta LLaMA's additive causal mask
    Triu(full(-inf), 1), the padding added to the scores apart, and Hugging
    Face's view(batch, -1, heads, size). Exported without a cache only: its
    causal mask's diagonal would be traced as a constant past length."""

    def __init__(self, vocab=256, d=64, layers=2, heads=4, buckets=16, max_distance=32):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.relative = nn.Embedding(buckets, heads)
        self.norms = nn.ModuleList(nn.LayerNorm(d) for _ in range(2 * layers))
        self.qkv = nn.ModuleList(nn.Linear(d, 3 * d) for _ in range(layers))
        self.out = nn.ModuleList(nn.Linear(d, d) for _ in range(layers))
        self.mlp = nn.ModuleList(nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
                                 for _ in range(layers))
        self.head = nn.Linear(d, vocab, bias=False)
        self.layers, self.heads, self.dh = layers, heads, d // heads
        self.buckets, self.max_distance = buckets, max_distance

    def forward(self, input_ids, attention_mask):
        b, s = input_ids.shape
        positions = torch.arange(s)
        relative = positions[None, :] - positions[:, None]
        bias = self.relative(t5_bucket(relative, False, self.buckets, self.max_distance)).permute(2, 0, 1)[None]
        causal = torch.full((s, s), float("-inf")).triu(1)[None, None]
        padding = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        x = self.embed(input_ids)
        for i in range(self.layers):
            q, k, v = (y.view(b, -1, self.heads, self.dh).transpose(1, 2)
                       for y in self.qkv[i](self.norms[2 * i](x)).split(x.shape[-1], dim=2))
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.dh) + bias + causal + padding
            y = torch.matmul(torch.softmax(scores, dim=-1), v).transpose(1, 2)
            x = x + self.out[i](y.reshape(b, -1, self.heads * self.dh))
            x = x + self.mlp[i](self.norms[2 * i + 1](x))
        return self.head(x)


# --------------------------------------------------------------------------
# GPTBigCode (StarCoder, SantaCoder) style: multi-query attention with the
# query heads merged into the rows, q [B, S·H, D] against the one key head
# [B, D, T] through baddbmm (zeros, scaled), viewed [B, S, H, T] for the
# mask (GPT-2's sliced causal table times the padding, unsqueezed at the
# heads) and the softmax, merged back for the values; learned positions,
# tanh GELU, tied LM head. Exported without a cache only: its cache fuses
# keys and values in one tensor.
# --------------------------------------------------------------------------
class BigCodeAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.dh = heads, d // heads
        self.c_attn = nn.Linear(d, d + 2 * self.dh)
        self.c_proj = nn.Linear(d, d)
        self.register_buffer("mask_value", torch.full([], torch.finfo(torch.float32).min))

    def forward(self, x, mask):
        b, s, d = x.shape
        query, key_value = self.c_attn(x).split((d, 2 * self.dh), dim=2)
        key, value = key_value.split((self.dh, self.dh), dim=-1)
        t = key.shape[1]
        merged = query.reshape(b, s * self.heads, self.dh)
        zeros = torch.zeros_like(torch.empty(b, s * self.heads, t))
        scores = torch.baddbmm(zeros, merged, key.transpose(-1, -2), beta=1, alpha=self.dh ** -0.5)
        scores = torch.where(mask, scores.view(b, s, self.heads, t), self.mask_value)
        probs = torch.softmax(scores, dim=-1).view(b, s * self.heads, t)
        return self.c_proj(torch.bmm(probs, value).view(b, s, d))


class BigCodeBlock(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = BigCodeAttention(d, heads)
        self.c_fc, self.c_proj = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x, mask):
        x = x + self.attn(self.ln_1(x), mask)
        return x + self.c_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class BigCode(nn.Module):
    def __init__(self, vocab=256, d=64, layers=2, heads=4, max_pos=128):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(max_pos, d)
        self.h = nn.ModuleList(BigCodeBlock(d, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)
        self.register_buffer("bias", torch.tril(torch.ones(max_pos, max_pos, dtype=torch.bool)))
        self.layers, self.heads, self.kv_heads, self.dh = layers, heads, 1, d // heads

    def forward(self, input_ids, attention_mask, position_ids):
        b, s = input_ids.shape
        t = 0 + s  # transformers' key_length: the past's (none) and the queries'
        causal = self.bias[None, t - s:t, :t]
        mask = (causal * attention_mask.view(b, 1, -1).to(dtype=torch.bool)).unsqueeze(2)
        x = self.wte(input_ids) + self.wpe(position_ids)
        for block in self.h:
            x = block(x, mask)
        return F.linear(self.ln_f(x), self.wte.weight)


class MPT(DecoderStack):
    def __init__(self, vocab=256, d=64, layers=2, heads=4):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList(MPTBlock(d, heads) for _ in range(layers))
        self.norm_f = nn.LayerNorm(d)
        self.register_buffer("slopes", alibi_slopes(heads))
        self.layers, self.heads, self.dh = layers, heads, d // heads

    def forward(self, input_ids, attention_mask, *past):
        s, total = input_ids.shape[1], attention_mask.shape[1]
        # Keys after the query's position, and padding, are hidden.
        later = torch.ones(s, total, dtype=torch.bool).triu(diagonal=total - s + 1)
        hidden = later[None, None] | ~attention_mask[:, None, None, :].bool()
        distance = torch.arange(1 - total, 1, dtype=torch.float32)
        alibi = self.slopes[None, :, None, None] * distance[None, None, None, :]
        x, presents = self.run_blocks(self.wte(input_ids), hidden, alibi, past)
        logits = torch.matmul(self.norm_f(x), self.wte.weight.t())
        return decoder_outputs(self, logits, presents, past)


# --------------------------------------------------------------------------
# OPT style: learned positions from the CumSum of the attention mask (offset
# 2), queries scaled before QKᵀ, pre-LayerNorm, ReLU, biases.
# --------------------------------------------------------------------------
def make_causal_mask(batch, s, past_len, sliding_window=None, window_by_tril=False):
    """transformers' _make_causal_mask: a full table of the float minimum,
    masked_fill-ed with 0 where arange < (arange + 1) as a column, the past's
    keys prepended as zeros, the keys before a sliding window filled again
    (4.36: 1 - triu(ones, P - W + 1), W keys seen; from 4.40 on, with
    window_by_tril: tril(ones, P - W - 1), W + 1 keys seen), expanded over
    the batch."""
    mask = torch.full((s, s), torch.finfo(torch.float32).min)
    mask_cond = torch.arange(mask.size(-1))
    mask.masked_fill_(mask_cond < (mask_cond + 1).view(mask.size(-1), 1), 0)
    if past_len > 0:
        mask = torch.cat([torch.zeros(s, past_len), mask], dim=-1)
    if sliding_window is not None and window_by_tril:
        context_mask = torch.tril(torch.ones_like(mask, dtype=torch.bool), diagonal=past_len - sliding_window - 1)
        mask.masked_fill_(context_mask, torch.finfo(torch.float32).min)
    elif sliding_window is not None:
        context_mask = 1 - torch.triu(torch.ones_like(mask, dtype=torch.int), diagonal=past_len - sliding_window + 1)
        mask.masked_fill_(context_mask.bool(), torch.finfo(torch.float32).min)
    return mask[None, None, :, :].expand(batch, 1, s, s + past_len)


def expand_padding_mask(attention_mask, s):
    """transformers' _expand_mask: 1 - mask over [batch, 1, s, total], and
    the float minimum where that is nonzero."""
    batch, total = attention_mask.shape
    expanded = attention_mask[:, None, None, :].expand(batch, 1, s, total).to(torch.float32)
    inverted = 1.0 - expanded
    return inverted.masked_fill(inverted.to(torch.bool), torch.finfo(torch.float32).min)


def converter_4d_mask(attention_mask, s, past_len=None, sliding_window=None, window_by_tril=False):
    """transformers' AttentionMaskConverter.to_4d (Phi, LLaMA, Mistral
    exports of early 2024): make_causal_mask's table, masked_fill-ed with
    the float minimum where the expanded padding is nonzero. The past's
    length is the attention mask's beyond the queries unless given; given,
    to_4d takes it as a key_value_length of S + P and gives
    _make_causal_mask (S + P) - S, as transformers does."""
    batch, total = attention_mask.shape
    if past_len is not None:
        key_value_length = s + past_len
        past_len = key_value_length - s
    causal = make_causal_mask(batch, s, total - s if past_len is None else past_len, sliding_window, window_by_tril)
    return causal.masked_fill(expand_padding_mask(attention_mask, s).bool(), torch.finfo(torch.float32).min)


class OPTAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.dh = heads, d // heads
        self.q_proj, self.k_proj, self.v_proj = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.out_proj = nn.Linear(d, d)

    def forward(self, x, mask, positions, past_k=None, past_v=None):
        b, s, _ = x.shape
        q = (self.q_proj(x) * self.dh ** -0.5).view(b, s, self.heads, self.dh).transpose(1, 2)
        k = self.k_proj(x).view(b, s, self.heads, self.dh).transpose(1, 2)
        v = self.v_proj(x).view(b, s, self.heads, self.dh).transpose(1, 2)
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        probs = torch.softmax(torch.matmul(q, k.transpose(2, 3)) + mask, dim=-1)
        return self.out_proj(torch.matmul(probs, v).transpose(1, 2).reshape(b, s, -1)), k, v


class OPTBlock(nn.Module):
    def __init__(self, d, heads, ffn):
        super().__init__()
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.self_attn = OPTAttention(d, heads)
        self.final_layer_norm = nn.LayerNorm(d)
        self.fc1, self.fc2 = nn.Linear(d, ffn), nn.Linear(ffn, d)

    def forward(self, x, mask, positions, past_k=None, past_v=None):
        a, k, v = self.self_attn(self.self_attn_layer_norm(x), mask, positions, past_k, past_v)
        x = x + a
        return x + self.fc2(F.relu(self.fc1(self.final_layer_norm(x)))), k, v


class OPT(DecoderStack):
    def __init__(self, vocab=256, d=64, layers=2, heads=4, ffn=256, max_pos=128):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, d)
        self.embed_positions = nn.Embedding(max_pos + 2, d)
        self.blocks = nn.ModuleList(OPTBlock(d, heads, ffn) for _ in range(layers))
        self.final_layer_norm = nn.LayerNorm(d)
        self.layers, self.heads, self.dh = layers, heads, d // heads

    def forward(self, input_ids, attention_mask, *past):
        s = input_ids.shape[1]
        # Positions count the attended tokens so far (left padding shifts them).
        positions = (torch.cumsum(attention_mask, dim=1) * attention_mask).long() - 1
        positions = positions[:, attention_mask.shape[1] - s:] + 2
        x = self.embed_tokens(input_ids) + self.embed_positions(positions)
        past_len = attention_mask.shape[1] - s
        # As transformers' OPT (and BART, Marian, older LLaMA) built it before
        # its AttentionMaskConverter: the causal part and the padding apart,
        # each 0 or the float minimum, added.
        mask = expand_padding_mask(attention_mask, s) + make_causal_mask(input_ids.shape[0], s, past_len)
        x, presents = self.run_blocks(x, mask, None, past)
        logits = torch.matmul(self.final_layer_norm(x), self.embed_tokens.weight.t())
        return decoder_outputs(self, logits, presents, past)


# --------------------------------------------------------------------------
# Encoder-decoder: bidirectional encoder; decoder with cached causal
# self-attention and cross-attention to the encoder output.
# --------------------------------------------------------------------------
class MHA(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.dh = heads, d // heads
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))

    def heads_of(self, x):
        b, s, _ = x.shape
        return x.view(b, s, self.heads, self.dh).transpose(1, 2)

    def keys_values(self, memory):
        return self.heads_of(self.k(memory)), self.heads_of(self.v(memory))

    def forward(self, x, memory, mask, past_k=None, past_v=None, return_probs=False, kv=None):
        """kv: this attention's keys and values, computed once (Optimum's
        cached cross-attention), instead of from memory."""
        q = self.heads_of(self.q(x))
        k, v = kv if kv is not None else self.keys_values(memory)
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        probs = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.dh) + mask, dim=-1)
        y = torch.matmul(probs, v).transpose(1, 2)
        out = self.o(y.reshape(y.shape[0], y.shape[1], -1))
        return (out, k, v, probs) if return_probs else (out, k, v)


class FFN(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.norm, self.fc1, self.fc2 = nn.LayerNorm(d), nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x):
        return x + self.fc2(F.relu(self.fc1(self.norm(x))))


def padding_mask(mask):
    return (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min


class Encoder(nn.Module):
    def __init__(self, vocab=256, d=64, layers=2, heads=4, max_pos=128):
        super().__init__()
        self.embed, self.pos = nn.Embedding(vocab, d), nn.Embedding(max_pos, d)
        self.norms = nn.ModuleList(nn.LayerNorm(d) for _ in range(layers))
        self.attns = nn.ModuleList(MHA(d, heads) for _ in range(layers))
        self.ffns = nn.ModuleList(FFN(d) for _ in range(layers))
        self.final = nn.LayerNorm(d)

    def forward(self, input_ids, attention_mask):
        x = self.embed(input_ids) + self.pos(torch.arange(input_ids.shape[1]).unsqueeze(0))
        mask = padding_mask(attention_mask)
        for norm, attn, ffn in zip(self.norms, self.attns, self.ffns):
            h = norm(x)
            x = ffn(x + attn(h, h, mask)[0])
        return self.final(x)


class Decoder(nn.Module):
    """With cross_attentions=True the model also returns, after the logits
    and before the presents, the last layer's cross-attention probabilities
    averaged over heads: [batch, sequence, encoder_sequence]."""

    def __init__(self, vocab=256, d=64, layers=2, heads=4, max_pos=128, cross_attentions=False):
        super().__init__()
        self.returns_cross_attentions = cross_attentions
        self.embed, self.pos = nn.Embedding(vocab, d), nn.Embedding(max_pos, d)
        self.self_norms = nn.ModuleList(nn.LayerNorm(d) for _ in range(layers))
        self.self_attns = nn.ModuleList(MHA(d, heads) for _ in range(layers))
        self.cross_norms = nn.ModuleList(nn.LayerNorm(d) for _ in range(layers))
        self.cross_attns = nn.ModuleList(MHA(d, heads) for _ in range(layers))
        self.ffns = nn.ModuleList(FFN(d) for _ in range(layers))
        self.final = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.layers, self.heads, self.dh = layers, heads, d // heads

    def forward(self, decoder_input_ids, encoder_hidden_states, encoder_attention_mask, *past):
        return self.run(decoder_input_ids, encoder_hidden_states, encoder_attention_mask, past)

    def run(self, decoder_input_ids, encoder_hidden_states, encoder_attention_mask, past, cross_kv=None,
            presents_without_past=False):
        """cross_kv: each layer's cross-attention (keys, values), computed
        once, instead of from encoder_hidden_states. (Not forward's keyword
        arguments: torch.onnx.export would pass their defaults as pasts.)"""
        s = decoder_input_ids.shape[1]
        past_len = past[0].shape[2] if past else 0
        total = past_len + s
        x = self.embed(decoder_input_ids) + self.pos(torch.arange(past_len, total).unsqueeze(0))
        causal = torch.ones(s, total, dtype=torch.bool).tril(diagonal=total - s)
        self_mask = torch.where(causal, torch.tensor(0.0), torch.tensor(torch.finfo(torch.float32).min))
        cross_mask = padding_mask(encoder_attention_mask)
        presents = []
        for i in range(self.layers):
            pk, pv = (past[2 * i], past[2 * i + 1]) if past else (None, None)
            h = self.self_norms[i](x)
            a, k, v = self.self_attns[i](h, h, self_mask, pk, pv)
            presents += [k, v]
            x = x + a
            kv = cross_kv[i] if cross_kv is not None else None
            if self.returns_cross_attentions and i == self.layers - 1:
                c, _, _, probs = self.cross_attns[i](self.cross_norms[i](x), encoder_hidden_states, cross_mask,
                                                     return_probs=True, kv=kv)
                cross = probs.mean(dim=1)
            else:
                c = self.cross_attns[i](self.cross_norms[i](x), encoder_hidden_states, cross_mask, kv=kv)[0]
            x = x + c
            x = self.ffns[i](x)
        logits = self.lm_head(self.final(x))
        if not (past or presents_without_past):
            presents = []
        outputs = ((logits, cross) if self.returns_cross_attentions else (logits,)) + tuple(presents)
        return outputs if len(outputs) > 1 else logits


class OptimumDecoder(nn.Module):
    """Decoder's files as Optimum exports a seq2seq model: decoder_model
    (first step: logits, then per layer present.{i}.decoder.key/value and
    the cross-attention's present.{i}.encoder.key/value, computed from
    encoder_hidden_states) and decoder_with_past_model (later steps: per
    layer past_key_values.{i}.decoder.* and .encoder.* in, present.{i}.
    decoder.* out). Inputs in Optimum's order: encoder_attention_mask,
    input_ids, then encoder_hidden_states or the pasts."""

    def __init__(self, decoder, with_past):
        super().__init__()
        self.decoder, self.with_past = decoder, with_past

    def forward(self, encoder_attention_mask, input_ids, *rest):
        d = self.decoder
        if self.with_past:
            past = [t for i in range(d.layers) for t in rest[4 * i:4 * i + 2]]
            cross = [tuple(rest[4 * i + 2:4 * i + 4]) for i in range(d.layers)]
            return d.run(input_ids, None, encoder_attention_mask, past, cross_kv=cross)
        cross = [d.cross_attns[i].keys_values(rest[0]) for i in range(d.layers)]
        logits, *presents = d.run(input_ids, None, encoder_attention_mask, (), cross_kv=cross,
                                  presents_without_past=True)
        return (logits, *[t for i in range(d.layers) for t in (*presents[2 * i:2 * i + 2], *cross[i])])


# --------------------------------------------------------------------------
# T5 style (v1.0): no position embeddings but a learned bias per head on the
# bucketed relative position (bidirectional in the encoder, causal in the
# decoder), computed by the first layer and added to every layer's scores;
# unscaled scores; norms without a mean or bias; ReLU FFN; no biases; one
# embedding shared by encoder, decoder and LM head, whose input is scaled
# by d^-0.5.
# --------------------------------------------------------------------------
def t5_bucket(relative, bidirectional, buckets=32, max_distance=128):
    """Hugging Face's _relative_position_bucket: exact buckets for small
    distances, logarithmic ones up to max_distance."""
    result = torch.zeros_like(relative)
    if bidirectional:
        buckets //= 2
        result = result + (relative > 0).long() * buckets
        relative = relative.abs()
    else:
        relative = -torch.min(relative, torch.zeros_like(relative))
    exact = buckets // 2
    large = exact + (torch.log(relative.float() / exact) / math.log(max_distance / exact)
                     * (buckets - exact)).long()
    large = torch.min(large, torch.full_like(large, buckets - 1))
    return result + torch.where(relative < exact, relative, large)


class T5Norm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d) + 0.1 * torch.randn(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


class T5Attention(nn.Module):
    def __init__(self, d, heads, dh, relative_bias=False, bidirectional=False):
        super().__init__()
        self.heads, self.dh, self.bidirectional = heads, dh, bidirectional
        self.q, self.k, self.v = (nn.Linear(d, heads * dh, bias=False) for _ in range(3))
        self.o = nn.Linear(heads * dh, d, bias=False)
        self.relative = nn.Embedding(32, heads) if relative_bias else None

    def bias(self, queries, keys, past):
        """[1, heads, queries, keys]: query i is at position past + i."""
        context = torch.arange(past, past + queries)[:, None]
        memory = torch.arange(keys)[None, :]
        return self.relative(t5_bucket(memory - context, self.bidirectional)).permute(2, 0, 1).unsqueeze(0)

    def heads_of(self, x):
        # Hugging Face's T5 spelling: the sequence is the view's -1.
        return x.view(x.shape[0], -1, self.heads, self.dh).transpose(1, 2)

    def forward(self, x, memory, bias, past_k=None, past_v=None):
        q, k, v = self.heads_of(self.q(x)), self.heads_of(self.k(memory)), self.heads_of(self.v(memory))
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        probs = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) + bias, dim=-1)
        y = torch.matmul(probs, v).transpose(1, 2)
        return self.o(y.reshape(y.shape[0], -1, self.heads * self.dh)), k, v


class T5FFN(nn.Module):
    def __init__(self, d, ffn):
        super().__init__()
        self.norm, self.wi, self.wo = T5Norm(d), nn.Linear(d, ffn, bias=False), nn.Linear(ffn, d, bias=False)

    def forward(self, x):
        return x + self.wo(F.relu(self.wi(self.norm(x))))


class T5Encoder(nn.Module):
    def __init__(self, shared, d=64, layers=2, heads=4, dh=16, ffn=128):
        super().__init__()
        self.shared = shared
        self.norms = nn.ModuleList(T5Norm(d) for _ in range(layers))
        self.attns = nn.ModuleList(T5Attention(d, heads, dh, relative_bias=i == 0, bidirectional=True)
                                   for i in range(layers))
        self.ffns = nn.ModuleList(T5FFN(d, ffn) for _ in range(layers))
        self.final = T5Norm(d)

    def forward(self, input_ids, attention_mask):
        s = input_ids.shape[1]
        x = self.shared(input_ids)
        bias = self.attns[0].bias(s, s, 0) + padding_mask(attention_mask)
        for norm, attn, ffn in zip(self.norms, self.attns, self.ffns):
            h = norm(x)
            x = ffn(x + attn(h, h, bias)[0])
        return self.final(x)


def classic_decoder_mask(batch, queries, total):
    """transformers' create_extended_attention_mask_for_decoder (T5, older
    BART): positions compared (arange repeated, which exports as Tile), the
    past's keys prepended as ones, times the default attention mask, then
    (1 - m) · min."""
    seq_ids = torch.arange(queries)
    causal = (seq_ids[None, None, :].repeat(batch, queries, 1) <= seq_ids[None, :, None]).long()
    if total > queries:
        causal = torch.cat([torch.ones(batch, queries, total - queries, dtype=torch.long), causal], dim=-1)
    attention_mask = torch.ones(batch, total, dtype=torch.long)
    extended = (causal[:, None, :, :] * attention_mask[:, None, None, :]).float()
    return (1.0 - extended) * torch.finfo(torch.float32).min


class T5Decoder(nn.Module):
    def __init__(self, shared, d=64, layers=2, heads=4, dh=16, ffn=128, classic_mask=False):
        super().__init__()
        self.shared, self.d, self.classic_mask = shared, d, classic_mask
        self.self_norms = nn.ModuleList(T5Norm(d) for _ in range(layers))
        self.self_attns = nn.ModuleList(T5Attention(d, heads, dh, relative_bias=i == 0) for i in range(layers))
        self.cross_norms = nn.ModuleList(T5Norm(d) for _ in range(layers))
        self.cross_attns = nn.ModuleList(T5Attention(d, heads, dh) for _ in range(layers))
        self.ffns = nn.ModuleList(T5FFN(d, ffn) for _ in range(layers))
        self.final = T5Norm(d)
        self.layers, self.heads, self.dh = layers, heads, dh

    def forward(self, decoder_input_ids, encoder_hidden_states, encoder_attention_mask, *past):
        s = decoder_input_ids.shape[1]
        past_len = past[0].shape[2] if past else 0
        total = past_len + s
        x = self.shared(decoder_input_ids)
        if self.classic_mask:
            hidden = classic_decoder_mask(decoder_input_ids.shape[0], s, total)
        else:
            causal = torch.ones(s, total, dtype=torch.bool).tril(diagonal=total - s)
            hidden = torch.where(causal, torch.tensor(0.0), torch.tensor(torch.finfo(torch.float32).min))
        self_bias = self.self_attns[0].bias(s, total, past_len) + hidden
        cross_mask = padding_mask(encoder_attention_mask)
        presents = []
        for i in range(self.layers):
            pk, pv = (past[2 * i], past[2 * i + 1]) if past else (None, None)
            a, k, v = self.self_attns[i](self.self_norms[i](x), self.self_norms[i](x), self_bias, pk, pv)
            presents += [k, v]
            x = x + a
            x = x + self.cross_attns[i](self.cross_norms[i](x), encoder_hidden_states, cross_mask)[0]
            x = self.ffns[i](x)
        logits = torch.matmul(self.final(x) * self.d ** -0.5, self.shared.weight.t())
        return decoder_outputs(self, logits, presents, past)


def t5_pair(classic_mask=False):
    shared = nn.Embedding(256, 64)
    return T5Encoder(shared), T5Decoder(shared, classic_mask=classic_mask)


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------
def add_kv_cache(inputs, names, outputs, axes, layers, kv_heads, head_size, batch, past):
    """Appends the Optimum-convention cache I/O: past_key_values.{i}.key|value
    inputs [batch, kv_heads, past, head_size] and present.{i}.key|value outputs."""
    for i in range(layers):
        for kind in ("key", "value"):
            past_name, present_name = f"past_key_values.{i}.{kind}", f"present.{i}.{kind}"
            inputs.append(torch.randn(batch, kv_heads, past, head_size))
            names.append(past_name)
            outputs.append(present_name)
            axes[past_name] = {0: "batch", 2: "past_sequence"}
            axes[present_name] = {0: "batch", 2: "total_sequence"}


def export(model, args, input_names, output_names, dynamic_axes, path, opset):
    model.eval()
    with torch.no_grad():
        torch.onnx.export(model, tuple(args), path, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=opset, do_constant_folding=True)
    print("wrote", path)


def export_decoder_only(name, model, out_dir, with_positions, opsets=OPSETS, presents_without_past=False,
                        with_past=True):
    """NAME-no-past-opsetN.onnx and (`with_past`) NAME-with-past-opsetN.onnx;
    with `presents_without_past` also NAME-presents-no-past-opsetN.onnx,
    which returns the keys and values of every position without taking a
    past (Optimum's decoder_model.onnx)."""
    b, s, p = 2, 5, 3
    vocab = next(m for m in model.modules() if isinstance(m, nn.Embedding)).num_embeddings
    ids = torch.randint(0, vocab, (b, s))
    variants = (("no-past",) + (("with-past",) if with_past else ()) +
                (("presents-no-past",) if presents_without_past else ()))
    for opset in opsets:
        for variant in variants:
            cached = variant == "with-past"
            inputs = [ids]
            names = ["input_ids", "attention_mask"]
            axes = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "total_sequence"},
                    "logits": {0: "batch", 1: "sequence"}}
            total = s + (p if cached else 0)
            inputs.append(torch.ones(b, total, dtype=torch.long))
            if with_positions:
                names.append("position_ids")
                axes["position_ids"] = {0: "batch", 1: "sequence"}
                start = p if cached else 0
                inputs.append(torch.arange(start, start + s).unsqueeze(0).expand(b, s).contiguous())
            output_names = ["logits"]
            if cached:
                kv_heads = getattr(model, "kv_heads", None) or model.heads
                add_kv_cache(inputs, names, output_names, axes, model.layers, kv_heads, model.dh, b, p)
            model.presents_without_past = variant == "presents-no-past"
            if model.presents_without_past:
                for i in range(model.layers):
                    for kind in ("key", "value"):
                        output_names.append(f"present.{i}.{kind}")
                        axes[f"present.{i}.{kind}"] = {0: "batch", 2: "sequence"}
            try:
                export(model, inputs, names, output_names, axes,
                       os.path.join(out_dir, f"{name}-{variant}-opset{opset}.onnx"), opset)
            finally:
                model.presents_without_past = False


def export_encoder_decoder(out_dir, prefix="", make=lambda: (Encoder(), Decoder()), seed=2, d=64,
                           optimum=False):
    """PREFIXencoder-opsetN.onnx and PREFIXdecoder-{no,with}-past-opsetN.onnx;
    with `optimum`, also the decoder as Optimum exports it
    (export_optimum_decoder)."""
    torch.manual_seed(seed)
    encoder, decoder = make()
    b, s, t, p = 2, 6, 4, 3
    src = torch.randint(0, 256, (b, s))
    for opset in OPSETS:
        export(encoder, [src, torch.ones(b, s, dtype=torch.long)], ["input_ids", "attention_mask"],
               ["last_hidden_state"],
               {"input_ids": {0: "batch", 1: "encoder_sequence"},
                "attention_mask": {0: "batch", 1: "encoder_sequence"},
                "last_hidden_state": {0: "batch", 1: "encoder_sequence"}},
               os.path.join(out_dir, f"{prefix}encoder-opset{opset}.onnx"), opset)
        memory = torch.randn(b, s, d)
        for cached in (False, True):
            inputs = [torch.randint(0, 256, (b, t)), memory, torch.ones(b, s, dtype=torch.long)]
            names = ["input_ids", "encoder_hidden_states", "encoder_attention_mask"]
            axes = {"input_ids": {0: "batch", 1: "sequence"},
                    "encoder_hidden_states": {0: "batch", 1: "encoder_sequence"},
                    "encoder_attention_mask": {0: "batch", 1: "encoder_sequence"},
                    "logits": {0: "batch", 1: "sequence"}}
            outputs = ["logits"]
            if cached:
                add_kv_cache(inputs, names, outputs, axes, decoder.layers, decoder.heads, decoder.dh, b, p)
            suffix = "with-past" if cached else "no-past"
            export(decoder, inputs, names, outputs, axes,
                   os.path.join(out_dir, f"{prefix}decoder-{suffix}-opset{opset}.onnx"), opset)
        if optimum:
            export_optimum_decoder(decoder, out_dir, prefix, opset, b, s, t, p, d)


def merge_decoders(no_past_path, with_past_path, out_path):
    """Optimum's decoder_model_merged: one graph taking both files' inputs
    and use_cache_branch, whose If runs the with-past graph (then) or the
    first step's (else). Outputs only the first step has (a seq2seq
    model's present.{i}.encoder.*) are empty constants [0, heads, 1,
    head_size] in the with-past branch, as Optimum makes them; weights the
    two files share are stored once."""
    models = [onnx.load(no_past_path), onnx.load(with_past_path)]
    inputs, seen = [], set()
    for m in models:
        for i in m.graph.input:
            if i.name not in seen:
                seen.add(i.name)
                inputs.append(i)
    first, cached = (m.graph for m in models)
    cached_outputs = {o.name: o for o in cached.output}
    unified = []
    for o in first.output:
        if o.name not in cached_outputs:
            dims = [0] + [d.dim_value if d.HasField("dim_value") else 1 for d in o.type.tensor_type.shape.dim[1:]]
            cached.node.append(onnx.helper.make_node(
                "Constant", [], [o.name], name=f"{o.name}/empty",
                value=onnx.helper.make_tensor(o.name, o.type.tensor_type.elem_type, dims, [])))
        unified.append(o)
    del cached.output[:]
    cached.output.extend(unified)
    # One initializer per distinct tensor, named after its first holder.
    initializers, by_content = [], {}
    for k, m in enumerate(models):
        rename = {}
        for t in m.graph.initializer:
            key = (t.data_type, tuple(t.dims), onnx.numpy_helper.to_array(t).tobytes())
            if key not in by_content:
                name = t.name if all(t.name != u.name for u in initializers) else f"{t.name}/{k}"
                by_content[key] = name
                copy = onnx.TensorProto()
                copy.CopyFrom(t)
                copy.name = name
                initializers.append(copy)
            rename[t.name] = by_content[key]
        for n in m.graph.node:
            n.input[:] = [rename.get(v, v) for v in n.input]
    branch = lambda g, name: onnx.helper.make_graph(list(g.node), name, [], list(g.output))
    use_cache = onnx.helper.make_tensor_value_info("use_cache_branch", onnx.TensorProto.BOOL, [1])
    merged = onnx.helper.make_graph(
        [onnx.helper.make_node("If", ["use_cache_branch"], [o.name for o in first.output], name="optimum::if",
                               then_branch=branch(cached, "with_past"), else_branch=branch(first, "no_past"))],
        "merged", inputs + [use_cache], list(first.output), initializers)
    out = onnx.helper.make_model(merged, opset_imports=models[0].opset_import)
    onnx.checker.check_model(out)
    onnx.save(out, out_path)
    print("wrote", out_path)


def export_optimum_decoder(decoder, out_dir, prefix, opset, b, s, t, p, d):
    """PREFIXoptimum-decoder-{model,with-past-model,model-merged}-opsetN.onnx:
    `decoder` as Optimum's seq2seq export lays it out (OptimumDecoder,
    merge_decoders)."""
    paths = {}
    for with_past in (False, True):
        mask = torch.ones(b, s, dtype=torch.long)
        ids = torch.randint(0, 256, (b, 1 if with_past else t))
        inputs, names = [mask, ids], ["encoder_attention_mask", "input_ids"]
        axes = {"encoder_attention_mask": {0: "batch", 1: "encoder_sequence"},
                "input_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}}
        outputs = ["logits"]
        if not with_past:
            inputs.append(torch.randn(b, s, d))
            names.append("encoder_hidden_states")
            axes["encoder_hidden_states"] = {0: "batch", 1: "encoder_sequence"}
        for i in range(decoder.layers):
            for part, length in (("decoder", "past_sequence"), ("encoder", "encoder_sequence")):
                for kind in ("key", "value"):
                    if with_past:
                        name = f"past_key_values.{i}.{part}.{kind}"
                        inputs.append(torch.randn(b, decoder.heads, p if part == "decoder" else s, decoder.dh))
                        names.append(name)
                        axes[name] = {0: "batch", 2: length}
                    if part == "decoder" or not with_past:
                        name = f"present.{i}.{part}.{kind}"
                        outputs.append(name)
                        axes[name] = {0: "batch", 2: "total_sequence" if part == "decoder" else length}
        kind = "with-past-model" if with_past else "model"
        paths[with_past] = os.path.join(out_dir, f"{prefix}optimum-decoder-{kind}-opset{opset}.onnx")
        export(OptimumDecoder(decoder, with_past), inputs, names, outputs, axes, paths[with_past], opset)
    merge_decoders(paths[False], paths[True],
                   os.path.join(out_dir, f"{prefix}optimum-decoder-model-merged-opset{opset}.onnx"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("--benchmark-models", action="store_true",
                        help="build only the two ~125M-parameter benchmark models (about 650 and 500 MB), "
                             "opset 17, with and without a KV cache")
    parser.add_argument("--max-positions", type=int, default=1024,
                        help="positions the benchmark models embed (GPT-2's table, LLaMA's rotary "
                             "table); 1024 as GPT-2 small has, more for long-context benchmarks")
    parser.add_argument("--long-context-model", action="store_true",
                        help="build only llama-long, a small LLaMA whose KV cache outweighs its "
                             "weights at long context (opset 17)")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    torch.set_num_threads(2)
    if args.long_context_model:
        torch.manual_seed(6)
        export_decoder_only("llama-long", Llama(vocab=1024, d=256, layers=8, heads=8, kv_heads=8, ffn=688,
                                                max_pos=args.max_positions),
                            args.out_dir, with_positions=True, opsets=(17,))
        return
    if args.benchmark_models:
        torch.manual_seed(0)
        export_decoder_only("gpt2-small", GPT2(vocab=50257, d=768, layers=12, heads=12,
                                                max_pos=args.max_positions),
                            args.out_dir, with_positions=False, opsets=(17,))
        torch.manual_seed(1)
        export_decoder_only("llama-small", Llama(vocab=32000, d=768, layers=12, heads=12, kv_heads=4, ffn=2048,
                                                 max_pos=args.max_positions),
                            args.out_dir, with_positions=True, opsets=(17,))
        return
    torch.manual_seed(0)
    export_decoder_only("gpt2", GPT2(), args.out_dir, with_positions=False, presents_without_past=True)
    torch.manual_seed(1)
    export_decoder_only("llama", Llama(), args.out_dir, with_positions=True, presents_without_past=True)
    torch.manual_seed(3)
    export_decoder_only("qwen2", Qwen2(), args.out_dir, with_positions=True)
    torch.manual_seed(4)
    export_decoder_only("neox", NeoX(), args.out_dir, with_positions=True)
    torch.manual_seed(5)
    export_decoder_only("opt", OPT(), args.out_dir, with_positions=False)
    torch.manual_seed(7)
    export_decoder_only("falcon", Falcon(), args.out_dir, with_positions=True)
    torch.manual_seed(8)
    export_decoder_only("gemma", Gemma(), args.out_dir, with_positions=True)
    export_encoder_decoder(args.out_dir, optimum=True)
    handbuilt.build_all(args.out_dir)
    # Seeded after the others, whose random weights stay as they were.
    torch.manual_seed(9)
    export_decoder_only("bloom", Bloom(), args.out_dir, with_positions=False)
    torch.manual_seed(10)
    export_decoder_only("phi", Phi(), args.out_dir, with_positions=True)
    export_encoder_decoder(args.out_dir, "t5-", t5_pair, seed=11)
    torch.manual_seed(12)
    export_decoder_only("mpt", MPT(), args.out_dir, with_positions=False)
    torch.manual_seed(13)
    # Rotary tables for 256 positions: a session's sliding cache for a
    # window of 4 slides after 131.
    export_decoder_only("mistral", Mistral(max_pos=256), args.out_dir, with_positions=True)
    torch.manual_seed(17)
    export_decoder_only("mistral436", Mistral436(max_pos=256), args.out_dir, with_positions=True)
    torch.manual_seed(18)
    export_decoder_only("llama441", Llama441(), args.out_dir, with_positions=True)
    torch.manual_seed(19)
    export_decoder_only("mistral442", Mistral442(max_pos=256), args.out_dir, with_positions=True)
    torch.manual_seed(20)
    # Rotary tables for 256 positions, as Mistral's: its sliding layers'
    # session cache slides after 131.
    export_decoder_only("gemma242", Gemma242(max_pos=256), args.out_dir, with_positions=True)
    torch.manual_seed(21)
    export_decoder_only("bigcode", BigCode(), args.out_dir, with_positions=True, with_past=False)
    torch.manual_seed(14)
    export_decoder_only("gptj", GPTJ(), args.out_dir, with_positions=True)
    torch.manual_seed(15)
    export_decoder_only("relative", RelativeDecoder(), args.out_dir, with_positions=False, with_past=False)
    export_encoder_decoder(args.out_dir, "t5classic-", lambda: t5_pair(classic_mask=True), seed=16)
    torch.manual_seed(22)
    export_decoder_only("mixtral", Mixtral(), args.out_dir, with_positions=True)
    torch.manual_seed(23)
    # Rotary tables for 256 positions, as Mistral's (its window slides); a
    # gate_up of 2 x 192 columns, a multiple of 16 as real models' are (the
    # model's own fused weight, which genc-interleave-gated-halves reorders).
    export_decoder_only("phi3", Phi3(max_pos=256, ffn=192), args.out_dir, with_positions=True)
    torch.manual_seed(24)
    export_decoder_only("qwen3", Qwen3(), args.out_dir, with_positions=True)
    torch.manual_seed(25)
    export_decoder_only("qwen2nopos", Qwen2NoPositions(), args.out_dir, with_positions=False)


if __name__ == "__main__":
    main()
