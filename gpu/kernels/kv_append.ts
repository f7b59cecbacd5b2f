/**
 * Appending to a KV cache: cache[pos0 + n, 0 .. 2·KV) = qkv[n, C .. C + 2·KV) for the N new rows
 * of one sequence, so the cache row holds k then v. Shapes: qkv (N, W), cache (S, 2·KV).
 * CPU twin: core/ops/kv_append.ts (a copy: exact).
 * @module
 */
import { columns } from "../../core/model/forward.ts";
import { kvAppend as cpuKvAppend } from "../../core/ops/kv_append.ts";
import { elementwise } from "../engine/elementwise.ts";

export const kvAppend = elementwise({
  name: "kv_append",
  bindings: [{ name: "qkv", access: "read" }, { name: "cache", access: "read_write" }],
  uniforms: { N: "u32", W: "u32", C: "u32", KV2: "u32", pos0: "u32" },
  count: ["params.N * params.KV2", ({ N, KV2 }) => N * KV2],
  twin: {
    of: "core/ops/kv_append.ts kvAppend",
    // qkv rows (N, W = C + 2·KV); the cache holds S = pos0 + N + spare rows
    dims: { N: [1, 6], C: [1, 8], KV: [1, 6], pos0: [0, 5], spare: [0, 3] },
    uniforms: ({ N, C, KV, pos0 }) => ({ N, W: C + 2 * KV, C, KV2: 2 * KV, pos0 }),
    inputs: { qkv: { _tag: "f32", length: ({ N, C, KV }) => N * (C + 2 * KV) } },
    outputs: { cache: ({ N, KV, pos0, spare }) => (pos0 + N + spare) * 2 * KV },
    run: ({ N, C, KV, pos0 }, a) => {
      const qkv = a.f32("qkv"), W = C + 2 * KV;
      return {
        cache: cpuKvAppend(a.f32("cache"), columns(qkv, N, W, C, KV), columns(qkv, N, W, C + KV, KV), N, KV, pos0),
      };
    },
    tolerance: { cache: { _tag: "exact" } },
  },
  body: /* wgsl */ `
  let n = i / params.KV2;
  let c = i % params.KV2;
  cache[(params.pos0 + n) * params.KV2 + c] = qkv[n * params.W + params.C + c];`,
});
