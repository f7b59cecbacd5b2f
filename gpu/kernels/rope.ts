/**
 * Rotary embedding, in place on the q and k heads of a fused qkv buffer.
 * Shapes: qkv (N = B·T, W) with W = C + 2·KV, C = NH·D: q heads at columns h·D (h < NH), k heads at C + h·D
 * (h < NKV), v untouched; only the first R ≤ D dims of each head rotate (partial rotary; R = D otherwise), the
 * rest pass through; cos and sin tables (P, R/2) hold cos/sin(pos·f_j), f_j = θ^(−2j/R) or its scaled value
 * (Llama 3's rope_scaling, core/ops/rope.ts ropeInvFreq), computed once on the CPU in float64
 * (core/ops/rope.ts ropeAngle), so the GPU never rounds a large angle in f32 and never needs the scaling.
 * Pairs: (2j, 2j+1) when half = 0 (llama2.c), (j, j + R/2) when half = 1 (Hugging Face).
 * sign = −1 rotates by −angle: the transpose, which is the backward pass of the rotation.
 * One invocation per (row, head, pair): it reads and writes only its two elements.
 * ropeAtPositions: the same kernel with row n at position pos[n] (an i32 buffer) instead of pos0 + n mod T,
 * for sequences packed side by side (gpu/eval/packed_forward.ts); the same table entry for the same position, so
 * the same bits.
 * CPU twin: core/ops/rope.ts `rope` and `ropeBackward`; `ropeAt`.
 * @module
 */
import type { RopeScaling } from "../../core/model/spec.ts";
import { rope, ropeAngle, ropeAt, ropeBackward } from "../../core/ops/rope.ts";
import { elementwise } from "../engine/elementwise.ts";
import type { UniformValues } from "../engine/kernel.ts";
import { type DimValues, type Inputs, type Twin, wide } from "../engine/twin.ts";

type RopeDim = "B" | "T" | "NKV" | "G" | "HD" | "keep" | "pos0" | "half" | "back" | "scaled";
type RopeDims = DimValues<RopeDim>;
const THETA = 10000;
/**
 * scaled = 1: linear; 2: Llama 3's, whose bands at R = 8 (wavelengths 2π·10^j, j < 4) are one kept (6.3 < 200/4),
 * one blended (62.8) and two divided (628, 6283 > 200/1): every branch of ropeInvFreq.
 */
const SCALINGS: ReadonlyArray<RopeScaling | undefined> = [
  undefined,
  { kind: "linear", factor: 2 },
  { kind: "llama3", factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 200 },
];
/** HD rotated pairs and `keep` pass-through pairs per head: R = 2·HD, D = R + 2·keep. */
const shape = ({ NKV, G, HD, keep }: RopeDims) => {
  const NH = NKV * G, R = 2 * HD, D = R + 2 * keep, C = NH * D, KV = NKV * D;
  return { NH, R, D, C, KV, W: C + 2 * KV };
};
/** cos or sin of every (position < pos0 + T, pair) angle, rounded to f32 as the host uploads them. */
const table = (f: (x: number) => number) => ({ T, HD, pos0, scaled }: RopeDims) =>
  Float32Array.from(
    { length: (pos0 + T) * HD },
    (_, i) => f(ropeAngle(Math.floor(i / HD), i % HD, 2 * HD, THETA, SCALINGS[scaled])),
  );

/** Row n's position: pos0 + n mod T, or its entry of the drawn positions (ropeAtPositions). */
type PositionOf = (d: RopeDims, a: Inputs, n: number) => number;
const offsetPosition: PositionOf = (d, _a, n) => d.pos0 + (n % d.T);
/** Drawn positions inside the tables' pos0 + T rows. */
const drawnPositions = (d: RopeDims, a: Inputs): Int32Array => Int32Array.from(a.i32("raw"), (r) => r % (d.pos0 + d.T));

/** The twin per row: q and k heads rotated (or rotated back) at the row's position, v as it was. */
const rotated = (d: RopeDims, a: Inputs, at: PositionOf): Float64Array => {
  const { NH, R, D, C, KV, W } = shape(d),
    style = d.half ? "half" : "interleaved",
    f = d.back ? ropeBackward : rope,
    out = wide(a.f32("qkv"));
  for (let n = 0; n < d.B * d.T; n++) {
    const row = out.subarray(n * W, (n + 1) * W), pos = at(d, a, n);
    out.set(f(row.slice(0, C), 1, NH, D, pos, THETA, style, R, SCALINGS[d.scaled]), n * W);
    out.set(f(row.slice(C, C + KV), 1, d.NKV, D, pos, THETA, style, R, SCALINGS[d.scaled]), n * W + C);
  }
  return out;
};

/** ropeAtPositions' twin: core/ops/rope.ts ropeAt on all rows at once with their drawn positions. */
const rotatedAt = (d: RopeDims, a: Inputs): Float64Array => {
  const { NH, R, D, C, KV, W } = shape(d), N = d.B * d.T, style = d.half ? "half" : "interleaved";
  const x = wide(a.f32("qkv")), pos = drawnPositions(d, a), out = Float64Array.from(x);
  const cols = (c0: number, n: number) =>
    Float64Array.from({ length: N * n }, (_, i) => x[Math.floor(i / n) * W + c0 + (i % n)]!);
  const q = ropeAt(cols(0, C), pos, NH, D, THETA, style, R, SCALINGS[d.scaled]);
  const k = ropeAt(cols(C, KV), pos, d.NKV, D, THETA, style, R, SCALINGS[d.scaled]);
  for (let n = 0; n < N; n++) {
    out.set(q.subarray(n * C, (n + 1) * C), n * W), out.set(k.subarray(n * KV, (n + 1) * KV), n * W + C);
  }
  return out;
};

/** |x0| + |x1| of each element's pair; 0 for v and the pass-through dims, which must come back as they were. */
const pairScale = (d: RopeDims, qkv: Float32Array): Float64Array => {
  const { NH, D, C, W } = shape(d), s = new Float64Array(qkv.length);
  for (let n = 0; n < d.B * d.T; n++) {
    for (let h = 0; h < NH + d.NKV; h++) {
      for (let j = 0; j < d.HD; j++) {
        const base = n * W + (h < NH ? h * D : C + (h - NH) * D),
          p = base + (d.half ? j : 2 * j),
          q = base + (d.half ? j + d.HD : 2 * j + 1); // HD = R/2
        s[p] = s[q] = Math.abs(qkv[p]!) + Math.abs(qkv[q]!);
      }
    }
  }
  return s;
};

/**
 * The rotary kernel, its row positions from the uniforms (pos0 + n mod T) or from a buffer pos (N) i32: one body,
 * only the position's expression differs.
 */
const ROPE_UNIFORMS = {
  N: "u32",
  T: "u32",
  pos0: "u32",
  NH: "u32",
  NKV: "u32",
  D: "u32",
  W: "u32",
  C: "u32",
  R: "u32",
  half: "u32",
  sign: "f32",
} as const;
type RopeTwin = Twin<"qkv", UniformValues<typeof ROPE_UNIFORMS>, RopeDim>;

const ropeBuild = (
  name: string,
  position: string,
  twin: { of: string; back: number; run: (d: RopeDims, a: Inputs) => Float64Array; raw: boolean },
) => ({
  name,
  uniforms: ROPE_UNIFORMS,
  count: [
    "params.N * (params.NH + params.NKV) * (params.R / 2u)",
    ({ N, NH, NKV, R }: UniformValues<typeof ROPE_UNIFORMS>) => N * (NH + NKV) * (R / 2),
  ] as const,
  twin: {
    of: twin.of,
    // NH = NKV·G query heads of D = 2·(HD + keep), the first R = 2·HD rotating; back = 1 is the backward (sign −1)
    dims: {
      B: [1, 2],
      T: [1, 7],
      NKV: [1, 3],
      G: [1, 3],
      HD: [1, 4],
      keep: [0, 2],
      pos0: [0, 3],
      half: [0, 1],
      back: [0, twin.back],
      scaled: [0, 2],
    },
    uniforms: (d) => {
      const { NH, R, D, C, W } = shape(d);
      return { N: d.B * d.T, T: d.T, pos0: d.pos0, NH, NKV: d.NKV, D, W, C, R, half: d.half, sign: d.back ? -1 : 1 };
    },
    inputs: {
      qkv: { _tag: "f32", length: (d) => d.B * d.T * shape(d).W },
      cosT: { _tag: "derived", make: table(Math.cos) },
      sinT: { _tag: "derived", make: table(Math.sin) },
      raw: { _tag: "i32", length: (d) => (twin.raw ? d.B * d.T : 1), min: () => 0, max: () => 1 << 20 },
      pos: { _tag: "derived", make: drawnPositions },
    },
    outputs: { qkv: (d) => d.B * d.T * shape(d).W },
    run: (d, a) => ({ qkv: twin.run(d, a) }),
    // x0·c − x1·s from f32 tables (each within ½ ulp, scaled or not: the scaling is in the float64 angle,
    // which both sides share): 4 ulps of |x0| + |x1|; v must stay as it was
    tolerance: {
      qkv: {
        _tag: "ulps",
        text: "4 ulps of each pair's |x0| + |x1| (v and pass-through dims: their bits)",
        ulps: () => 4,
        scale: ({ d, a }) => pairScale(d, a.f32("qkv")),
      },
    },
  } satisfies RopeTwin,
  body: /* wgsl */ `
  let hd = params.R / 2u;
  let heads = params.NH + params.NKV;
  let j = i % hd;
  let h = (i / hd) % heads;
  let n = i / (hd * heads);
  let base = n * params.W + select(params.C + (h - params.NH) * params.D, h * params.D, h < params.NH);
  let p = base + select(2u * j, j, params.half != 0u);
  let q = base + select(2u * j + 1u, j + hd, params.half != 0u);
  let t = (${position}) * hd + j;
  let c = cosT[t];
  let s = params.sign * sinT[t];
  let x0 = qkv[p];
  let x1 = qkv[q];
  qkv[p] = x0 * c - x1 * s;
  qkv[q] = x0 * s + x1 * c;`,
});

const ROPE_BINDINGS = [
  { name: "qkv", access: "read_write" },
  { name: "cosT", access: "read" },
  { name: "sinT", access: "read" },
] as const;

export const ropeForward = elementwise({
  ...ropeBuild("rope_forward", "params.pos0 + n % params.T", {
    of: "core/ops/rope.ts rope, ropeBackward",
    back: 1,
    run: (d, a) => rotated(d, a, offsetPosition),
    raw: false,
  }),
  bindings: ROPE_BINDINGS,
});

/** Row n at position pos[n] (pos0 and T unused); forward only. */
export const ropeAtPositions = elementwise({
  ...ropeBuild("rope_at_positions", "u32(pos[n])", {
    of: "core/ops/rope.ts ropeAt",
    back: 0,
    run: rotatedAt,
    raw: true,
  }),
  bindings: [...ROPE_BINDINGS, { name: "pos", access: "read", type: "i32" }],
});
