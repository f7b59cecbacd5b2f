/**
 * Causal multi-head attention with grouped-query heads, one invocation per (b, h, t) query row.
 * Queries: qkv (B·T, W), head h at column h·D, absolute position pos0 + t. Keys and values: kv
 * (B·S, kvW), kv head g = ⌊h / (NH/NKV)⌋ at columns kOff + g·D and vOff + g·D; query t sees key
 * rows 0 ..= pos0 + t of its sequence. A full forward binds qkv itself as kv (S = T, pos0 = 0); a
 * decoding step binds the KV cache (S = its capacity). out (B·T, C); lse (B, NH, T) keeps each
 * row's log-sum-exp for the backward pass.
 * Two passes over the keys (max, then exp-sum and weighted values) in index order: deterministic.
 * D ≤ MAX_D values stay in registers. CPU twin: core/ops/attention.ts `causalAttention`.
 * @module
 */
import { ceilDiv, defineKernel } from "../kernel.ts";

export const MAX_HEAD_DIM = 256;

export const attentionForward = defineKernel({
  name: "attention_forward",
  bindings: [
    { name: "qkv", access: "read" }, { name: "kv", access: "read" },
    { name: "out", access: "read_write" }, { name: "lse", access: "read_write" },
  ],
  uniforms: {
    B: "u32", T: "u32", NH: "u32", NKV: "u32", D: "u32", W: "u32", C: "u32", scale: "f32",
    S: "u32", kvW: "u32", kOff: "u32", vOff: "u32", pos0: "u32",
  },
  defines: { MAX_D: MAX_HEAD_DIM },
  workgroupSize: 16,
  grid: ({ B, T, NH }, [wx]) => [ceilDiv(T, wx), NH, B],
  wgsl: /* wgsl */ `
  let t = gid.x;
  let h = wg.y;
  let b = wg.z;
  if (t >= params.T) { return; }
  let D = params.D;
  let g = h / (params.NH / params.NKV);
  let qo = (b * params.T + t) * params.W + h * D;
  let k0 = b * params.S * params.kvW + params.kOff + g * D;
  let v0 = b * params.S * params.kvW + params.vOff + g * D;
  let last = params.pos0 + t;
  var m = -3.4028234663852886e38;
  for (var s = 0u; s <= last; s++) {
    let kr = k0 + s * params.kvW;
    var dot = 0.0;
    for (var d = 0u; d < D; d++) { dot += qkv[qo + d] * kv[kr + d]; }
    m = max(m, dot * params.scale);
  }
  var acc: array<f32, MAX_D>;
  for (var d = 0u; d < D; d++) { acc[d] = 0.0; }
  var sum = 0.0;
  for (var s = 0u; s <= last; s++) {
    let kr = k0 + s * params.kvW;
    var dot = 0.0;
    for (var d = 0u; d < D; d++) { dot += qkv[qo + d] * kv[kr + d]; }
    let e = exp(dot * params.scale - m);
    sum += e;
    let vr = v0 + s * params.kvW;
    for (var d = 0u; d < D; d++) { acc[d] += e * kv[vr + d]; }
  }
  let oo = (b * params.T + t) * params.C + h * D;
  for (var d = 0u; d < D; d++) { out[oo + d] = acc[d] / sum; }
  lse[(b * params.NH + h) * params.T + t] = m + log(sum);`,
});

/**
 * Appending to a KV cache: cache[pos0 + n, 0 .. 2·KV) = qkv[n, C .. C + 2·KV) for the N new rows
 * of one sequence, so the cache row holds k then v. Shapes: qkv (N, W), cache (S, 2·KV).
 */
export const kvAppend = defineKernel({
  name: "kv_append",
  bindings: [{ name: "qkv", access: "read" }, { name: "cache", access: "read_write" }],
  uniforms: { N: "u32", W: "u32", C: "u32", KV2: "u32", pos0: "u32" },
  workgroupSize: 64,
  grid: ({ N, KV2 }, [wx]) => [ceilDiv(N * KV2, wx), 1, 1],
  wgsl: /* wgsl */ `
  let i = gid.x;
  if (i >= params.N * params.KV2) { return; }
  let n = i / params.KV2;
  let c = i % params.KV2;
  cache[(params.pos0 + n) * params.KV2 + c] = qkv[n * params.W + params.C + c];`,
});
