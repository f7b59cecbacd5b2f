/**
 * Qwen3's per-head q and k RMSNorm, on the fused qkv rows (N, W) the qkv matmul writes, before the rotary.
 * Heads h0 .. h0+H−1 of each row (head h at columns h·D ..), one gain w (D) for them all: dispatched once for
 * the q heads (h0 = 0, H = NH, qnorm) and once for the k heads (h0 = NH, H = NKV, knorm).
 * forward, one invocation per (row, head), in place: raw keeps the head's input (the backward's x), rstd (N, HT)
 * its 1/√(mean(x²) + ε) at column h0 + h; backward: dw[c] += Σ_n Σ_h dy·x·rstd (one invocation per column,
 * first, since) dx then replaces dy in place (one invocation per (row, head)), as RMSNorm's:
 * dx = r·(w·dy − x·r²·mean(w·dy·x)).
 * CPU twins: core/ops/norms/head_norm.ts. Error: the RMSNorm kernels' (gpu/kernels/norms/norms.ts), with C = D.
 * @module
 */
import { headRmsNorm, headRmsNormBackward, type HeadRows } from "../../../core/ops/norms/head_norm.ts";
import { rmsScale } from "../../../core/ops/norms/norms.ts";
import { elementwise } from "../../engine/elementwise.ts";
import { abs, type DimValues, type Inputs, overwrite, wide } from "../../engine/twin.ts";
import { NORM_EPS } from "./norms.ts";

// rows N; heads before (h0), listed (H) and after (rest) the normalised ones, D wide; HT = h0 + H + rest
type Dims = DimValues<"N" | "h0" | "H" | "rest" | "D">;
const dims = { N: [1, 6], h0: [0, 2], H: [1, 3], rest: [0, 2], D: [1, 12] } as const;
const W = (d: Dims) => (d.h0 + d.H + d.rest) * d.D;
const HT = (d: Dims) => d.h0 + d.H + d.rest;
const rowsOf = (d: Dims): HeadRows => ({ N: d.N, W: W(d), D: d.D, h0: d.h0, H: d.H });
const uniformsOf = (d: Dims) => ({ N: d.N, W: W(d), D: d.D, h0: d.h0, H: d.H, HT: HT(d) });
/** Element i of (N, W) lies in a listed head: its (row, head) index n·H + h, else undefined. */
const headOf = (d: Dims, i: number): number | undefined => {
  const n = Math.floor(i / W(d)), h = Math.floor((i % W(d)) / d.D) - d.h0;
  return h >= 0 && h < d.H ? n * d.H + h : undefined;
};
/** 1/√(mean(x²) + ε) of each listed head of x, by (row, head). */
const headRstd = (d: Dims, x: ArrayLike<number>): Float64Array =>
  Float64Array.from({ length: d.N * d.H }, (_, k) => {
    const n = Math.floor(k / d.H), h = k % d.H;
    return rmsScale(wide(x), n * W(d) + (d.h0 + h) * d.D, d.D, NORM_EPS);
  });
const rstdAt = (d: Dims, before: ArrayLike<number>, r: ArrayLike<number>) =>
  overwrite(before, (j) => {
    const n = Math.floor(j / HT(d)), h = (j % HT(d)) - d.h0;
    return h >= 0 && h < d.H ? r[n * d.H + h] : undefined;
  });
const f32 = (length: (d: Dims) => number, range = 1) => ({ _tag: "f32", length, min: -range, max: range }) as const;

export const headNormForward = elementwise({
  name: "head_norm_forward",
  bindings: [
    { name: "qkv", access: "read_write" },
    { name: "w", access: "read" },
    { name: "raw", access: "read_write" },
    { name: "rstd", access: "read_write" },
  ],
  uniforms: { N: "u32", W: "u32", D: "u32", h0: "u32", H: "u32", HT: "u32", eps: "f32" },
  count: ["params.N * params.H", ({ N, H }) => N * H],
  twin: {
    of: "core/ops/norms/head_norm.ts headRmsNorm",
    dims,
    uniforms: (d) => ({ ...uniformsOf(d), eps: NORM_EPS }),
    inputs: {
      qkv: f32((d) => d.N * W(d), 4),
      w: f32((d) => d.D),
      raw: f32((d) => d.N * W(d)),
      rstd: f32((d) => d.N * HT(d)),
    },
    outputs: { qkv: (d) => d.N * W(d), raw: (d) => d.N * W(d), rstd: (d) => d.N * HT(d) },
    run: (d, a) => ({
      qkv: headRmsNorm(wide(a.f32("qkv")), wide(a.f32("w")), rowsOf(d), NORM_EPS),
      raw: overwrite(a.f32("raw"), (i) => (headOf(d, i) === undefined ? undefined : a.f32("qkv")[i])),
      rstd: rstdAt(d, a.f32("rstd"), headRstd(d, a.f32("qkv"))),
    }),
    // RMSNorm's (D + 8) ulps of |out| in the heads; every other value keeps its bits (scale 0)
    tolerance: {
      qkv: {
        _tag: "ulps",
        text: "(D + 8) ulps of |out| (other heads: their bits)",
        ulps: ({ D }) => D + 8,
        scale: ({ d, want }) =>
          Float64Array.from(want("qkv"), (v, i) => (headOf(d, i) === undefined ? 0 : Math.abs(v))),
      },
      raw: { _tag: "exact" },
      rstd: {
        _tag: "ulps",
        text: "(D + 8) ulps of rstd",
        ulps: ({ D }) => D + 8,
        scale: ({ want }) => abs(want("rstd")),
      },
    },
  },
  body: /* wgsl */ `
  let n = i / params.H;
  let h = params.h0 + i % params.H;
  let o = n * params.W + h * params.D;
  var ss = 0.0;
  for (var c = 0u; c < params.D; c++) { ss += qkv[o + c] * qkv[o + c]; }
  let r = 1.0 / sqrt(ss / f32(params.D) + params.eps);
  for (var c = 0u; c < params.D; c++) {
    let v = qkv[o + c];
    raw[o + c] = v;
    qkv[o + c] = w[c] * (v * r);
  }
  rstd[n * params.HT + h] = r;`,
});

/** The saved statistics as the forward kernel keeps them: f32 rstd of each listed head of raw, at column h0 + h. */
const savedRstd = (d: Dims, a: Inputs) =>
  Float32Array.from(rstdAt(d, new Float64Array(d.N * HT(d)), headRstd(d, a.f32("raw"))));
const grads = (d: Dims, a: Inputs, w: ArrayLike<number>) =>
  headRmsNormBackward(wide(a.f32("dqkv")), wide(a.f32("raw")), wide(w), rowsOf(d), NORM_EPS);

export const headNormBackwardW = elementwise({
  name: "head_norm_backward_w",
  bindings: [
    { name: "dqkv", access: "read" },
    { name: "raw", access: "read" },
    { name: "rstd", access: "read" },
    { name: "dw", access: "read_write" },
  ],
  uniforms: { N: "u32", W: "u32", D: "u32", h0: "u32", H: "u32", HT: "u32" },
  index: "c",
  count: ["params.D", ({ D }) => D],
  twin: {
    of: "core/ops/norms/head_norm.ts headRmsNormBackward",
    dims,
    uniforms: uniformsOf,
    inputs: {
      dqkv: f32((d) => d.N * W(d)),
      raw: f32((d) => d.N * W(d), 4),
      rstd: { _tag: "derived", make: savedRstd },
      dw: f32((d) => d.D),
    },
    outputs: { dw: (d) => d.D },
    run: (d, a) => ({ dw: grads(d, a, new Float64Array(d.D).fill(1)).dw.map((v, c) => v + a.f32("dw")[c]!) }),
    // the column's value and N·H products added in order: γ_(N·H+1), and two products each
    tolerance: {
      dw: {
        _tag: "ulps",
        text: "(N·H + 4) ulps of |dw| + Σ|dy·x·rstd|",
        ulps: ({ N, H }) => N * H + 4,
        scale: ({ d, a }) => {
          const out = abs(a.f32("dw")), dy = a.f32("dqkv"), x = a.f32("raw"), r = headRstd(d, x);
          for (let i = 0; i < dy.length; i++) {
            const k = headOf(d, i);
            if (k !== undefined) out[(i % W(d)) % d.D]! += Math.abs(dy[i]! * x[i]!) * r[k]!;
          }
          return out;
        },
      },
    },
  },
  body: /* wgsl */ `
  var s = 0.0;
  for (var n = 0u; n < params.N; n++) {
    for (var h = params.h0; h < params.h0 + params.H; h++) {
      let o = n * params.W + h * params.D + c;
      s += dqkv[o] * raw[o] * rstd[n * params.HT + h];
    }
  }
  dw[c] = dw[c] + s;`,
});

export const headNormBackwardX = elementwise({
  name: "head_norm_backward_x",
  bindings: [
    { name: "dqkv", access: "read_write" },
    { name: "raw", access: "read" },
    { name: "w", access: "read" },
    { name: "rstd", access: "read" },
  ],
  uniforms: { N: "u32", W: "u32", D: "u32", h0: "u32", H: "u32", HT: "u32" },
  count: ["params.N * params.H", ({ N, H }) => N * H],
  twin: {
    of: "core/ops/norms/head_norm.ts headRmsNormBackward",
    dims,
    uniforms: uniformsOf,
    inputs: {
      dqkv: f32((d) => d.N * W(d)),
      raw: f32((d) => d.N * W(d), 4),
      w: f32((d) => d.D),
      rstd: { _tag: "derived", make: savedRstd },
    },
    outputs: { dqkv: (d) => d.N * W(d) },
    run: (d, a) => ({ dqkv: grads(d, a, a.f32("w")).dx }),
    // RMSNorm's x kernel: a sum of D terms and a cancellation of two: (D + 8) ulps of their magnitudes;
    // other heads keep their bits
    tolerance: {
      dqkv: {
        _tag: "ulps",
        text: "(D + 8) ulps of rstd·(|w·dy| + |x|·rstd²·mean|w·dy·x|) (other heads: their bits)",
        ulps: ({ D }) => D + 8,
        scale: ({ d, a }) => {
          const dy = a.f32("dqkv"), x = a.f32("raw"), w = a.f32("w"), r = headRstd(d, x), D = d.D;
          const sums = new Float64Array(d.N * d.H);
          for (let i = 0; i < dy.length; i++) {
            const k = headOf(d, i);
            if (k !== undefined) sums[k]! += Math.abs(w[(i % W(d)) % D]! * dy[i]! * x[i]!);
          }
          return Float64Array.from(dy, (v, i) => {
            const k = headOf(d, i), c = (i % W(d)) % D;
            return k === undefined ? 0 : r[k]! * (Math.abs(w[c]! * v) + Math.abs(x[i]!) * r[k]! ** 2 * (sums[k]! / D));
          });
        },
      },
    },
  },
  body: /* wgsl */ `
  let n = i / params.H;
  let h = params.h0 + i % params.H;
  let o = n * params.W + h * params.D;
  let r = rstd[n * params.HT + h];
  var s = 0.0;
  for (var c = 0u; c < params.D; c++) { s += w[c] * dqkv[o + c] * raw[o + c]; }
  let k = r * r * s / f32(params.D);
  for (var c = 0u; c < params.D; c++) { dqkv[o + c] = r * (w[c] * dqkv[o + c] - raw[o + c] * k); }`,
});
