/**
 * The block measures on the device (gpu/model/attention_probs.ts, adapters/analysis/measure.ts)
 * against the CPU reference, for random GPT-2 and Llama models (GQA and both rotary conventions).
 * Allowances, u = 2⁻²⁴:
 * - probabilities of block k from the device's own block input: (D + 16) ulps of P·max(1, A) for
 *   the kernel (kernels.test.ts), A = Σ|q·k|/√D + |lse|, plus the q and k rows' error: one stage of
 *   a norm and a C-term linear, which forward_model.test.ts allows 64·C ulps; an error δ in every score
 *   moves P by P·2δ (the score, and the normaliser lse). So 2·(64·C + D + 16) ulps of P·max(1, A).
 * - a whole analysis: the same with 64·(L + 1)·max(C, F, T) ulps for the q and k rows (the whole
 *   forward before them, as forward_model.test.ts allows the logits).
 * The rank is a count, so it is compared tie-robustly: with ε the Frobenius norm of P's allowance,
 * the top-k energy root e_k = ‖σ₁..σ_k‖ moves by at most ε (Mirsky: ‖σ(P′) − σ(P)‖ ≤ ‖P′ − P‖_F), so the
 * device's count lies between the first k with (e_k + ε)² ≥ 0.9(e − ε)² and the first with
 * (e_k − ε)² ≥ 0.9(e + ε)², e = ‖P‖_F (plus 10⁻⁶·e for the eigenvalue solver, whose energies are off
 * by a few T·2⁻⁵³·e², core/surgery/spectrum.ts). The column share likewise, its column masses moving
 * by at most their allowance's ℓ1 norm.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect } from "vitest";
import { analyzeBlocks } from "../../adapters/analysis/measure.ts";
import { blockForwardSaved } from "../../core/model/block_backward.ts";
import { forward } from "../../core/model/forward.ts";
import { ffnDim, headDim, kvHeads, type ModelSpec } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import { attentionMatrices, countHolding } from "../../core/surgery/diagnostics.ts";
import { causalEnergies } from "../../core/surgery/spectrum.ts";
import { createBlockProbe } from "../../gpu/model/attention_probs.ts";
import { probeLanes } from "../../gpu/kernels/lanes_probe.ts";
import { unwrap, useGpu } from "../../test/gpu/_device.ts";
import { arbGpt2Spec, arbLlamaSpec, arbWeights } from "../core/arbitraries.ts";
import { expectBitEqual, gpuModel } from "./_models.ts";

const gpu = useGpu();
const U = 2 ** -24;

/** For any spec of the family (C ≥ 4, as forward_model.test.ts), weights and B windows of T tokens. */
const arbCase = (spec: fc.Arbitrary<ModelSpec>) =>
  spec.filter((s) => s.nEmbd >= 4).chain((s) =>
    fc.record({
      s: fc.constant(s),
      w: arbWeights(s),
      B: fc.integer({ min: 1, max: 3 }),
      T: fc.integer({ min: 2, max: s.blockSize }),
    }).chain((c) =>
      fc.array(fc.integer({ min: 0, max: s.vocabSize - 1 }), {
        minLength: c.B * (c.T + 1) + 1,
        maxLength: c.B * (c.T + 1) + 1,
      })
        .map((xs) => ({ ...c, val: Int32Array.from(xs) }))
    )
  );

/** P's allowance per element, (B, NH, T, T): ulps · u · P · max(1, Σ|q·k|/√D + |lse|), from the CPU block's q and k. */
const allowance = (s: ModelSpec, w: Weights, k: number, x: Float32Array, B: number, T: number, ulps: number) => {
  const { saved } = blockForwardSaved(s, w, k, x, { B, T, N: B * T });
  const D = headDim(s), NH = s.nHead, NKV = kvHeads(s), P = attentionMatrices(s, w, k, x, B, T);
  const out = new Float64Array(B * NH * T * T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      const g = Math.floor(h / (NH / NKV)), m = P[b * NH + h]!;
      for (let t = 0; t < T; t++) {
        let top = 0, lse = 0; // max_r Σ|q·k_r|/√D, and log Σ_r exp(q·k_r/√D)
        const scores = Array.from({ length: t + 1 }, (_, r) => {
          let a = 0, dot = 0;
          for (let d = 0; d < D; d++) {
            const p = saved.q[(b * T + t) * NH * D + h * D + d]! * saved.k[(b * T + r) * NKV * D + g * D + d]!;
            a += Math.abs(p);
            dot += p;
          }
          top = Math.max(top, a / Math.sqrt(D));
          return dot / Math.sqrt(D);
        });
        const mx = Math.max(...scores);
        lse = mx + Math.log(scores.reduce((acc, x) => acc + Math.exp(x - mx), 0));
        const A = top + Math.abs(lse);
        for (let r = 0; r <= t; r++) out[((b * NH + h) * T + t) * T + r] = ulps * U * m[t * T + r]! * Math.max(1, A);
      }
    }
  }
  return { P, tol: out };
};

/** The interval the device's 90% energy count must lie in, from the CPU matrix and ε. */
const rankInterval = (P: Float64Array, T: number, eps: number): [number, number] => {
  const E2 = causalEnergies(P, T), e = Math.sqrt(E2.reduce((a, b) => a + b, 0)), ee = eps + 1e-6 * e;
  let acc = 0, lo = T, hi = T;
  for (let k = 0; k < T; k++) {
    acc += E2[k]!;
    const ek = Math.sqrt(acc);
    if (lo === T && (ek + ee) ** 2 >= 0.9 * Math.max(0, e - ee) ** 2) lo = k + 1;
    if (hi === T && Math.max(0, ek - ee) ** 2 >= 0.9 * (e + ee) ** 2) hi = k + 1;
  }
  return [Math.min(lo, hi), hi];
};

/** The interval of the 90%-mass column count, column masses moving by at most l1 in total. */
const shareInterval = (P: Float64Array, T: number, l1: number): [number, number] => {
  const cols = new Float64Array(T);
  for (let t = 0; t < T; t++) for (let r = 0; r <= t; r++) cols[r] = cols[r]! + P[t * T + r]!;
  const v = Array.from(cols).sort((a, b) => b - a), total = v.reduce((a, b) => a + b, 0);
  let acc = 0, lo = T, hi = T;
  v.forEach((c, k) => {
    acc += c;
    if (lo === T && acc + l1 >= 0.9 * (total - l1) - 1e-12 * total) lo = k + 1;
    if (hi === T && acc - l1 >= 0.9 * (total + l1)) hi = k + 1;
  });
  return [Math.min(lo, hi), hi];
};

const frobenius = (a: Float64Array, from: number, n: number) => {
  let s = 0;
  for (let i = from; i < from + n; i++) s += a[i]! ** 2;
  return Math.sqrt(s);
};

describe.each([["GPT-2", arbGpt2Spec], ["Llama", arbLlamaSpec]] as const)("block probes of a %s model", (_, spec) => {
  test.prop([arbCase(spec)], { numRuns: 6 })(
    "the stream is the model's forward bit for bit, each block's probabilities are within 2·(64·C + D + 16) ulps of P·max(1, A) of the CPU's from the same input, and each matrix's rank lies in its tie interval",
    async ({ s, w, B, T, val }) => {
      const tokens = val.subarray(0, B * T), targets = val.subarray(1, B * T + 1);
      const lanes = await probeLanes(gpu().kernels), profile = lanes ? "lanes" : "cpu";
      const probe = unwrap(await createBlockProbe(gpu().kernels, s, w, profile)());
      const m = await gpuModel(gpu(), s, w, { profile });
      try {
        const r = unwrap(await probe.run(tokens, targets, B, T)());
        const st = unwrap(await m.forward(tokens, B, T, { stream: true })()).stream!;
        st.forEach((x, k) => expectBitEqual(`stream[${k}]`, r.stream[k]!, x));
        for (let k = 0; k < s.nLayer; k++) {
          const { P, tol } = allowance(s, w, k, r.stream[k]!, B, T, 2 * (64 * s.nEmbd + headDim(s) + 16));
          const got = r.probs[k]!;
          P.forEach((want, i) => {
            for (let j = 0; j < T * T; j++) {
              const at = i * T * T + j, err = Math.abs(got[at]! - want[j]!);
              if (!(err <= Math.max(tol[at]!, 2 ** -126))) {
                expect.fail(`block ${k} matrix ${i} element ${j}: ${got[at]} vs ${want[j]} (allowance ${tol[at]})`);
              }
            }
            const [lo, hi] = rankInterval(want, T, frobenius(tol, i * T * T, T * T));
            const rank = countHolding(causalEnergies(got.subarray(i * T * T, (i + 1) * T * T), T), 0.9);
            expect(rank, `block ${k} matrix ${i}`).toBeGreaterThanOrEqual(lo);
            expect(rank, `block ${k} matrix ${i}`).toBeLessThanOrEqual(hi);
          });
        }
      } finally {
        probe.destroy();
        m.destroy();
      }
    },
  );

  test.prop([arbCase(spec)], { numRuns: 2 })(
    "a timed probe (timestamps, for the bench's split) gives the untimed probe's results bit for bit and GPU times named by kernel, one per block for the attention probabilities",
    async ({ s, w, B, T, val }) => {
      const tokens = val.subarray(0, B * T), targets = val.subarray(1, B * T + 1);
      const lanes = await probeLanes(gpu().kernels), profile = lanes ? "lanes" : "cpu";
      expect(gpu().device.features.has("timestamp-query"), "lavapipe has timestamp queries").toBe(true);
      const plain = unwrap(await createBlockProbe(gpu().kernels, s, w, profile)());
      const timed = unwrap(await createBlockProbe(gpu().kernels, s, w, profile, { timestamps: true })());
      try {
        const a = unwrap(await plain.run(tokens, targets, B, T)()),
          b = unwrap(await timed.run(tokens, targets, B, T)());
        a.stream.forEach((x, k) => expectBitEqual(`stream[${k}]`, b.stream[k]!, x));
        a.probs.forEach((x, k) => expectBitEqual(`probs[${k}]`, b.probs[k]!, x));
        a.exitLosses.forEach((x, k) => expectBitEqual(`exitLosses[${k}]`, b.exitLosses[k]!, x));
        expect(plain.lastKernelTimes()).toEqual([]);
        const names = timed.lastKernelTimes().map((t) => t.kernel);
        expect(names.filter((n) => n.startsWith("attention_probs")).length).toBe(s.nLayer);
        expect(timed.lastKernelTimes().every((t) => Number.isFinite(t.ns) && t.ns >= 0)).toBe(true);
      } finally {
        plain.destroy();
        timed.destroy();
      }
    },
  );

  test.prop([arbCase(spec)], { numRuns: 4 })(
    "analyze on the device, run window by window (early exits on all windows or the first), gives per-head ranks and column shares within the CPU analysis's tie intervals, and its influence and early-exit loss",
    async ({ s, w, B, T, val }) => {
      const lanes = await probeLanes(gpu().kernels), profile = lanes ? "lanes" : "cpu";
      const o = { sequences: B, T, runBytes: 1 }; // one window a run: the sums over runs are what is checked
      const dev = unwrap(await analyzeBlocks(s, w, val, o, { kernels: gpu().kernels, profile }));
      // early exits on the first window only change nothing else
      const fewer = unwrap(
        await analyzeBlocks(s, w, val, { ...o, exitSequences: 1 }, { kernels: gpu().kernels, profile }),
      );
      expect(fewer.map(({ earlyExitLoss: _, ...r }) => r)).toEqual(dev.map(({ earlyExitLoss: _, ...r }) => r));
      const cpu = analyzeBlocks(s, w, val, { sequences: B, T });
      const want = (await cpu) as E.Either<never, typeof dev>;
      if (E.isLeft(want)) throw new Error("the CPU analysis failed");
      const gap = Math.floor((val.length - T - 1) / Math.max(1, B - 1)); // as measure.ts lays the windows
      const tokens = Int32Array.from({ length: B * T }, (_, i) => val[Math.floor(i / T) * gap + (i % T)]!);
      const st = forward(s, w, tokens, B, T, { stream: true }).stream!;
      const ulps = 2 * (64 * (s.nLayer + 1) * Math.max(s.nEmbd, ffnDim(s), T) + headDim(s) + 16);
      for (let k = 0; k < s.nLayer; k++) {
        const { P, tol } = allowance(s, w, k, st[k]!, B, T, ulps);
        const ranks = P.map((m, i) => rankInterval(m, T, frobenius(tol, i * T * T, T * T)));
        const shares = P.map((m, i) =>
          shareInterval(m, T, tol.subarray(i * T * T, (i + 1) * T * T).reduce((a, b) => a + b, 0))
        );
        dev[k]!.headRanks.forEach((r, h) => {
          const mine = ranks.filter((_, i) => i % s.nHead === h);
          const lo = mine.reduce((a, x) => a + x[0], 0) / B, hi = mine.reduce((a, x) => a + x[1], 0) / B;
          expect(r, `block ${k} head ${h}`).toBeGreaterThanOrEqual(lo - 1e-12);
          expect(r, `block ${k} head ${h}`).toBeLessThanOrEqual(hi + 1e-12);
        });
        const sLo = shares.reduce((a, x) => a + x[0], 0) / (T * P.length),
          sHi = shares.reduce((a, x) => a + x[1], 0) / (T * P.length);
        expect(dev[k]!.columnShare).toBeGreaterThanOrEqual(sLo - 1e-12);
        expect(dev[k]!.columnShare).toBeLessThanOrEqual(sHi + 1e-12);
        // influence and loss: means of O(1) values whose f32 error the forward bounds as the logits
        const close = ulps * U;
        expect(Math.abs(dev[k]!.influence - want.right[k]!.influence)).toBeLessThanOrEqual(close);
        expect(Math.abs(dev[k]!.earlyExitLoss - want.right[k]!.earlyExitLoss)).toBeLessThanOrEqual(
          close * Math.max(1, want.right[k]!.earlyExitLoss),
        );
      }
    },
  );
});
