/**
 * Causal multi-head attention with grouped-query heads; each invocation owns QB query rows of one (b, h).
 * Queries: qkv (B·T, W), head h at column h·D, absolute position pos0 + t. Keys and values: kv
 * (B·S, kvW), kv head g = ⌊h / (NH/NKV)⌋ at columns kOff + g·D and vOff + g·D; query t sees key
 * rows 0 ..= pos0 + t of its sequence. A full forward binds qkv itself as kv (S = T, pos0 = 0); a
 * decoding step binds the KV cache (S = its capacity). out (B·T, C) with C = NH·D (the residual
 * width unless heads were pruned); lse (B, NH, T) keeps each
 * row's log-sum-exp for the backward pass.
 * Two passes over the keys (max, then exp-sum and weighted values) in index order: deterministic.
 * The key loop runs to the workgroup's last query, the same bound for every lane, and masks the
 * keys past a lane's own query with select (adding +0): the loop index stays uniform, so lavapipe
 * loads each key once for the whole SIMD vector instead of gathering it per lane; each lane's
 * sums are unchanged. A variant per common head dim (headDimVariant) fixes D at compile time, so
 * the per-lane arrays stay in registers; "default" takes any D ≤ MAX_D.
 * Each kernel comes in two builds (attentionBuild): "plain", and "lanes" for the lanes profile
 * (gpu/kernels/profile.ts), where the rows the whole workgroup reads in the loop (keys, values) are
 * loaded D/8 elements per lane and put together by subgroupBroadcast (sharedRowLoader): the
 * same values, so the same bits, with an eighth of the loads.
 * The spans builds (attentionSpans, AttentionMask) read many sequences packed side by side.
 * CPU twin: core/ops/attention/attention.ts `causalAttention`, `attentionLse`; attention.ts `spanAttention`
 * (cases: gpu/kernels/attention/_attention_twin.ts).
 * @module
 */
import { type BindingDecl, type BindingNames, ceilDiv, defineKernel, type UniformValues } from "../../engine/kernel.ts";
import type { Twin } from "../../engine/twin.ts";
import { forwardCase, spansCase } from "./_attention_twin.ts";

export const MAX_HEAD_DIM = 256;
/**
 * Query (or key) rows per lane in the attention kernels (see attentionForward): 4 for head dims
 * up to 64; fewer for wider heads, whose per-lane arrays grow with QB·D; 1 in the "default"
 * variant (D up to MAX_HEAD_DIM), where QB > 1 made LLVM's compile take minutes.
 */
const queryBlock = (d: number): number => (d <= 64 ? 4 : 2);
export const DEFAULT_QUERY_BLOCK = 1;

/** Head dims with a compiled variant of the attention kernels (forward and backward); multiples of 8, as sharedRowLoader needs. */
export const HEAD_DIMS = [8, 16, 32, 64, 128] as const;
export const HEAD_DIM_VARIANTS = Object.fromEntries(HEAD_DIMS.map((d) => [`d${d}`, { DV: d, QB: queryBlock(d) }]));
/** The attention variant for head dim D: "d<D>" where one exists, else "default". */
export const headDimVariant = (
  D: number,
): string => ((HEAD_DIMS as readonly number[]).includes(D) ? `d${D}` : "default");

/**
 * WGSL shared by the attention kernels: D from the variant or the uniform, the per-lane vectors
 * as arrays of ⌈D/4⌉ vec4 (in a variant their loops have constant trips, which the compiler
 * unrolls, so they live in registers), and a dot product that keeps the scalar index order.
 */
export const HEAD_DIM_PRELUDE = /* wgsl */ `
const ACC_N = select(MAX_D, DV, DV > 0);
const ACC_N4 = ACC_N / 4;
fn head_dim(d: u32) -> u32 { return select(d, u32(DV), DV > 0); }
/** Σ_d q[d]·k[d] over d < D, in index order. Both by value: naga (Deno) panics on a pointer into an array of arrays. */
fn head_dot(q: array<vec4<f32>, ACC_N4>, k: array<vec4<f32>, ACC_N4>, D: u32) -> f32 {
  var dot = 0.0;
  for (var j = 0u; j < (D + 3u) / 4u; j++) {
    let a = q[j] * k[j];
    dot += a.x;
    if (4u * j + 1u < D) { dot += a.y; }
    if (4u * j + 2u < D) { dot += a.z; }
    if (4u * j + 3u < D) { dot += a.w; }
  }
  return dot;
}`;

/** WGSL of \`fn name(at, D)\`: D floats of \`binding\` from index at, as vec4s, zeros past D. */
export const rowLoader = (name: string, binding: string): string => /* wgsl */ `
fn ${name}(at: u32, D: u32) -> array<vec4<f32>, ACC_N4> {
  var out: array<vec4<f32>, ACC_N4>;
  for (var j = 0u; j < (D + 3u) / 4u; j++) {
    let i = at + 4u * j;
    out[j] = vec4<f32>(${binding}[i], select(0.0, ${binding}[i + 1u], 4u * j + 1u < D),
      select(0.0, ${binding}[i + 2u], 4u * j + 2u < D), select(0.0, ${binding}[i + 3u], 4u * j + 3u < D));
  }
  return out;
}`;

/**
 * WGSL of \`fn name(at, D)\`: rowLoader's result for a row that all 8 lanes of the workgroup read
 * at the same time (a loop's key or value). Lane l loads elements l, l + 8, … (zeros past D) and
 * every lane takes the others' by subgroupBroadcast, so the row costs D/8 loads per lane instead of
 * D (on lavapipe a load in a loop is a scalar load per lane and element). Needs the subgroups
 * extension, \`lane_id\` set to the local index (attentionBuild), a workgroup of 8 in one subgroup
 * (gpu/kernels/lanes_probe.ts), uniform control flow at the call, and ACC_N a multiple of 8.
 */
export const sharedRowLoader = (name: string, binding: string): string => /* wgsl */ `
fn ${name}(at: u32, D: u32) -> array<vec4<f32>, ACC_N4> {
  var out: array<vec4<f32>, ACC_N4>;
  for (var u = 0u; u < (D + 7u) / 8u; u++) {
    let e = 8u * u + lane_id;
    let mine = select(0.0, ${binding}[min(at + e, at + D - 1u)], e < D);
    out[2u * u] = vec4<f32>(subgroupBroadcast(mine, 0u), subgroupBroadcast(mine, 1u), subgroupBroadcast(mine, 2u), subgroupBroadcast(mine, 3u));
    out[2u * u + 1u] = vec4<f32>(subgroupBroadcast(mine, 4u), subgroupBroadcast(mine, 5u), subgroupBroadcast(mine, 6u), subgroupBroadcast(mine, 7u));
  }
  return out;
}`;

/**
 * \`body\` once per row a lane owns, with \`i\` a constant in each copy: the loops over a lane's rows
 * inside the key (query) loop, unrolled in the text. naga (Deno's wgpu) left the per-lane arrays
 * of those loop nests in memory on lavapipe; Tint's output unrolls either way. Same operations
 * in the same order: same bits.
 */
export const perRow = (QB: number, body: string): string =>
  Array.from({ length: QB }, (_, i) => `{ const i = ${i}u;${body}\n      }`).join(" ");

/** Which build of an attention kernel: every lane loading every row, or the loop's rows shared through subgroups. */
export type AttentionBuild = "plain" | "lanes";

/**
 * What a build changes in a kernel: the name, the extension, the loaders of the rows the loop
 * shares ([function, binding] pairs) and the line that records the lane for them.
 */
export const attentionBuild = (
  build: AttentionBuild,
  name: string,
  shared: ReadonlyArray<readonly [string, string]>,
) => ({
  name: build === "lanes" ? `${name}_lanes` : name,
  enables: build === "lanes" ? (["subgroups"] as const) : ([] as const),
  loaders: [
    ...(build === "lanes" ? ["var<private> lane_id: u32;"] : []),
    ...shared.map(([fn, binding]) => (build === "lanes" ? sharedRowLoader(fn, binding) : rowLoader(fn, binding))),
  ].join("\n"),
  start: build === "lanes" ? "lane_id = lidx;" : "",
});

/**
 * Which keys a query sees: "causal", keys 0 ..= pos0 + t of its sequence; "spans", for sequences packed
 * side by side (core/eval/packed_layout.ts), the keys s ≤ t in [spans[3t], spans[3t+1]) ∪ [spans[3t+2], t], with
 * spans (B·T, 3) i32 and no lse (a forward-only pass). The spans kernel is the causal one with another mask
 * and another loop start: the smallest first key of the workgroup's queries, which every lane computes from
 * all of the workgroup's spans rows at the same addresses, so the bound is uniform for the loop as the causal
 * one's (lavapipe then loads each key once per SIMD vector; the same minimum shared through workgroup memory and
 * workgroupUniformLoad was treated as divergent there, gathering keys per lane, and attention took about twice
 * as long). A bound computed in the kernel holds for any spans; one computed by the host would tie it to the
 * kernel's tile. Masked keys add +0 and leave the max, visible ones are summed in increasing order: the causal
 * kernel's sums for a sequence holding those keys, bit for bit.
 */
export type AttentionMask = "causal" | "spans";

/** WGSL of the mask's parts: per-row state, its setup for row i at t, the loop start and the visibility of key s. */
const maskParts = (mask: AttentionMask) =>
  mask === "causal" ? { state: "", setup: "", start: "let wgFirst = 0u;", visible: "s <= last[i]" } : {
    state: "var lo: array<u32, QB>; var hi: array<u32, QB>; var seg: array<u32, QB>;",
    setup: /* wgsl */ `
      let sp = 3u * (b * params.T + t);
      lo[i] = u32(spans[sp]);
      hi[i] = u32(spans[sp + 1u]);
      seg[i] = u32(spans[sp + 2u]);`,
    start: /* wgsl */ `
    var wgFirst = 0xffffffffu;
    for (var u = 0u; u < 8u * QB; u++) {
      let su = 3u * (b * params.T + min(t0 + u, params.T - 1u));
      let ulo = u32(spans[su]);
      let useg = u32(spans[su + 2u]);
      wgFirst = min(wgFirst, select(useg, min(ulo, useg), ulo < u32(spans[su + 1u])));
    }`,
    visible: "(s <= last[i] && ((s >= lo[i] && s < hi[i]) || s >= seg[i]))",
  };

const FORWARD_UNIFORMS = {
  B: "u32",
  T: "u32",
  NH: "u32",
  NKV: "u32",
  D: "u32",
  W: "u32",
  C: "u32",
  scale: "f32",
  S: "u32",
  kvW: "u32",
  kOff: "u32",
  vOff: "u32",
  pos0: "u32",
} as const;

const attentionForwardBuild = <const B extends readonly BindingDecl[], X extends string>(
  build: AttentionBuild,
  mask: AttentionMask,
  bindings: B, // qkv, kv, out, then lse (causal) or spans
  twin: Twin<BindingNames<B>, UniformValues<typeof FORWARD_UNIFORMS>, X>,
) => {
  const b = attentionBuild(build, mask === "causal" ? "attention_forward" : "attention_spans", [["kv_row", "kv"]]);
  const m = maskParts(mask);
  return defineKernel({
    name: b.name,
    enables: b.enables,
    bindings,
    uniforms: FORWARD_UNIFORMS,
    defines: { MAX_D: MAX_HEAD_DIM, DV: 0, QB: DEFAULT_QUERY_BLOCK },
    variants: HEAD_DIM_VARIANTS,
    twin,
    workgroupSize: 8,
    grid: ({ B, T, NH }, [wx], { QB }) => [ceilDiv(T, wx * QB), NH, B],
    prelude: `${HEAD_DIM_PRELUDE}
  ${b.loaders}
  ${rowLoader("q_row", "qkv")}`,
    wgsl: ({ QB }) => /* wgsl */ `
    ${b.start}
    // Each lane owns QB query rows, t0 + 8i + lane: every key and value row it loads serves QB
    // queries (on lavapipe a load inside a loop costs a scalar load per lane and element, so this
    // divides the kernel's main cost by QB). Padding lanes redo the last row and skip the writes.
    let h = wg.y;
    let b = wg.z;
    let D = head_dim(params.D);
    let D4 = (D + 3u) / 4u;
    let t0 = wg.x * 8u * QB;
    let wgLast = params.pos0 + min(t0 + 8u * QB - 1u, params.T - 1u); // uniform loop bound
    let g = h / (params.NH / params.NKV);
    let k0 = b * params.S * params.kvW + params.kOff + g * D;
    let v0 = b * params.S * params.kvW + params.vOff + g * D;
    var q: array<array<vec4<f32>, ACC_N4>, QB>;
    var m: array<f32, QB>;
    var last: array<u32, QB>;
    ${m.state}
    for (var i = 0u; i < QB; i++) {
      let t = min(t0 + 8u * i + lid.x, params.T - 1u);
      q[i] = q_row((b * params.T + t) * params.W + h * D, D);
      m[i] = -3.4028234663852886e38;
      last[i] = params.pos0 + t;${m.setup}
    }
    ${m.start}
    for (var s = wgFirst; s <= wgLast; s++) {
      let k = kv_row(k0 + s * params.kvW, D);
      ${
      perRow(
        QB,
        `
        let dot = head_dot(q[i], k, D);
        m[i] = select(m[i], max(m[i], dot * params.scale), ${m.visible});`,
      )
    }
    }
    var acc: array<array<vec4<f32>, ACC_N4>, QB>;
    var sum: array<f32, QB>;
    for (var s = wgFirst; s <= wgLast; s++) {
      let k = kv_row(k0 + s * params.kvW, D);
      let v = kv_row(v0 + s * params.kvW, D);
      ${
      perRow(
        QB,
        `
        let e = select(0.0, exp(head_dot(q[i], k, D) * params.scale - m[i]), ${m.visible});
        sum[i] += e;
        for (var j = 0u; j < D4; j++) { acc[i][j] += e * v[j]; }`,
      )
    }
    }
    for (var i = 0u; i < QB; i++) {
      let t = t0 + 8u * i + lid.x;
      if (t < params.T) {
        let oo = (b * params.T + t) * params.C + h * D;
        for (var d = 0u; d < D; d++) { out[oo + d] = acc[i][d / 4u][d % 4u] / sum[i]; }
        ${mask === "causal" ? "lse[(b * params.NH + h) * params.T + t] = m[i] + log(sum[i]);" : ""}
      }
    }`,
  });
};

const CAUSAL_BINDINGS = [
  { name: "qkv", access: "read" },
  { name: "kv", access: "read" },
  { name: "out", access: "read_write" },
  { name: "lse", access: "read_write" },
] as const;
const SPANS_BINDINGS = [
  { name: "qkv", access: "read" },
  { name: "kv", access: "read" },
  { name: "out", access: "read_write" },
  { name: "spans", access: "read", type: "i32" },
] as const;

export const attentionForward = attentionForwardBuild("plain", "causal", CAUSAL_BINDINGS, forwardCase);
export const attentionForwardLanes = attentionForwardBuild("lanes", "causal", CAUSAL_BINDINGS, forwardCase);
export const attentionSpans = attentionForwardBuild("plain", "spans", SPANS_BINDINGS, spansCase);
export const attentionSpansLanes = attentionForwardBuild("lanes", "spans", SPANS_BINDINGS, spansCase);
