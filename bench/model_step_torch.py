#!/usr/bin/python3
"""PyTorch anchor for bench/model_step.sh: a nanoGPT-style GPT-2, forward + backward.

Same shapes as Seek's model_step (vocab 8192, hidden 384, 6 layers, 6 heads,
sequence 256, batch 8, f32). PyTorch 1.13 (Debian) has no
scaled_dot_product_attention, so attention is nanoGPT's explicit masked softmax.
"""
import argparse
import contextlib
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, C, H, T):
        super().__init__()
        self.H = H
        self.ln_1, self.ln_2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.c_attn, self.c_proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.fc, self.proj = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)
        self.register_buffer("mask", torch.tril(torch.ones(T, T, dtype=torch.bool)))

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.H, C // self.H).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(~self.mask[:T, :T], float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.c_proj(y)
        return x + self.proj(F.gelu(self.fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, V, C, L, H, T):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, C), nn.Embedding(T, C)
        self.blocks = nn.ModuleList(Block(C, H, T) for _ in range(L))
        self.ln_f = nn.LayerNorm(C)
        for m in self.modules():  # nanoGPT's init: N(0, 0.02), zero biases
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, 0.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)

    def forward(self, idx, targets):
        T = idx.size(1)
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for b in self.blocks:
            x = b(x)
        logits = F.linear(self.ln_f(x), self.wte.weight)
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def main():
    ap = argparse.ArgumentParser()
    for k, v in dict(vocab=8192, hidden=384, layers=6, heads=6, seq=256, batch=8, steps=5,
                     threads=0).items():
        ap.add_argument("--" + k, type=int, default=v)
    ap.add_argument("--adamw", action="store_true", help="time full training steps (AdamW)")
    ap.add_argument("--autocast", choices=["none", "bf16"], default="none",
                    help="bf16: torch.autocast('cpu', torch.bfloat16) around forward (fp32 weights)")
    a = ap.parse_args()
    autocast = (torch.autocast("cpu", dtype=torch.bfloat16) if a.autocast == "bf16"
                else contextlib.nullcontext())
    torch.manual_seed(0)
    if a.threads:
        torch.set_num_threads(a.threads)
    m = GPT(a.vocab, a.hidden, a.layers, a.heads, a.seq)
    idx = torch.randint(0, a.vocab, (a.batch, a.seq))
    tgt = torch.randint(0, a.vocab, (a.batch, a.seq))
    opt = torch.optim.AdamW(m.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1)
    with autocast:
        warm = m(idx, tgt)
    warm.backward()  # warm up
    if a.adamw:
        opt.step()
    times = []
    for _ in range(a.steps):
        m.zero_grad(set_to_none=True)
        t0 = time.perf_counter()
        with autocast:
            loss = m(idx, tgt)
        loss.backward()
        if a.adamw:
            torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
            opt.step()
        times.append(time.perf_counter() - t0)
    times.sort()
    med = times[len(times) // 2]
    tok = a.batch * a.seq
    what = ("train step (fwd+bwd+clip+AdamW)" if a.adamw else "fwd+bwd") + \
        (" bf16 autocast" if a.autocast == "bf16" else " f32")
    print(f"torch {torch.__version__} threads={torch.get_num_threads()} {what} {med*1e3:.1f} ms/step "
          f"(median of {a.steps})  {tok/med:.0f} tokens/s  loss {loss.item():.3f}")
    print(f"RESULT torch_tokens_per_s={tok/med:.1f}")


if __name__ == "__main__":
    main()
