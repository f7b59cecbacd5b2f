"""The PyTorch peer of `bench --scale`: a GPT-2 of the given shape (pre-norm blocks, tanh GELU, tied head,
learned positions) trained with AdamW on random tokens, as a user of Debian's python3-torch would write it.
Prints one JSON object: tokens/s and model GFLOP/s (6·N per token plus attention's 12·L·C·T, as bench/configs.ts
counts) over the timed steps. Run by bench/scale.ts with OMP_WAIT_POLICY=PASSIVE and the thread count it gives;
needs libopenblas0-pthread, without which torch falls back to the reference BLAS.
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, c: int, nh: int):
        super().__init__()
        self.nh = nh
        self.ln1 = nn.LayerNorm(c)
        self.qkv = nn.Linear(c, 3 * c)
        self.proj = nn.Linear(c, c)
        self.ln2 = nn.LayerNorm(c)
        self.fc = nn.Linear(c, 4 * c)
        self.fcproj = nn.Linear(4 * c, c)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        heads = lambda z: z.view(b, t, self.nh, c // self.nh).transpose(1, 2)  # (B, NH, T, D)
        q, k, v = heads(q), heads(k), heads(v)
        # Debian's torch 1.13 has no scaled_dot_product_attention: the causal softmax written out, as nanoGPT's.
        att = (q @ k.transpose(-2, -1)) / math.sqrt(k.shape[-1])
        att = att.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
        y = F.softmax(att, dim=-1) @ v
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, c))
        return x + self.fcproj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class Gpt(nn.Module):
    def __init__(self, layers: int, c: int, nh: int, vocab: int, ctx: int):
        super().__init__()
        self.wte = nn.Embedding(vocab, c)
        self.wpe = nn.Embedding(ctx, c)
        self.blocks = nn.ModuleList(Block(c, nh) for _ in range(layers))
        self.lnf = nn.LayerNorm(c)
        for m in self.modules():  # GPT-2's initialisation: N(0, 0.02) weights, zero biases
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward(self, idx, targets):
        t = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(t))
        for blk in self.blocks:
            x = blk(x)
        logits = self.lnf(x) @ self.wte.weight.T  # tied head, (B, T, V)
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.reshape(-1))


def main():
    p = argparse.ArgumentParser()
    for name, default in [("layers", 6), ("embd", 768), ("heads", 12), ("ctx", 256), ("vocab", 50257), ("batch", 4),
                          ("steps", 3), ("warmup", 1), ("threads", 2)]:
        p.add_argument(f"--{name}", type=int, default=default)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = Gpt(a.layers, a.embd, a.heads, a.vocab, a.ctx)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.95), weight_decay=0.1)
    # The multiplied weights, as bench/configs.ts matmulParams counts them: every linear weight and the tied head.
    n = sum(m.weight.numel() for m in model.modules() if isinstance(m, nn.Linear)) + model.wte.weight.numel()

    def step():
        idx = torch.randint(0, a.vocab, (a.batch, a.ctx + 1))
        loss = model(idx[:, :-1], idx[:, 1:])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    for _ in range(a.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        loss = step()
    dt = time.perf_counter() - t0
    tokens = a.steps * a.batch * a.ctx
    flops_per_token = 6 * n + 12 * a.layers * a.embd * a.ctx
    print(json.dumps({
        "peer": f"torch {torch.__version__} cpu, {a.threads} threads",
        "matmul_params": n,
        "tokens_per_s": tokens / dt,
        "gflops": tokens * flops_per_token / dt / 1e9,
        "ms_per_step": 1000 * dt / a.steps,
        "loss": loss if math.isfinite(loss) else None,
    }))


if __name__ == "__main__":
    main()
