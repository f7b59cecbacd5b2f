/**
 * Rotary embedding, in place on the q and k heads of a fused qkv buffer.
 * Shapes: qkv (N = B·T, W) with W = C + 2·KV, C = NH·D: q heads at columns h·D (h < NH), k heads at C + h·D
 * (h < NKV), v untouched; cos and sin tables (P, D/2) hold cos/sin(pos·θ^(−2j/D)), computed once on
 * the CPU in float64 (core/ops/rope.ts ropeAngle), so the GPU never rounds a large angle in f32.
 * Pairs: (2j, 2j+1) when half = 0 (llama2.c), (j, j + D/2) when half = 1 (Hugging Face).
 * sign = −1 rotates by −angle: the transpose, which is the backward pass of the rotation.
 * One invocation per (row, head, pair): it reads and writes only its two elements.
 * CPU twin: core/ops/rope.ts `rope`.
 * @module
 */
import { ceilDiv, defineKernel } from "../engine/kernel.ts";

export const ropeForward = defineKernel({
  name: "rope_forward",
  bindings: [{ name: "qkv", access: "read_write" }, { name: "cosT", access: "read" }, { name: "sinT", access: "read" }],
  uniforms: { N: "u32", T: "u32", pos0: "u32", NH: "u32", NKV: "u32", D: "u32", W: "u32", C: "u32", half: "u32", sign: "f32" },
  workgroupSize: 64,
  grid: ({ N, NH, NKV, D }, [wx]) => [ceilDiv(N * (NH + NKV) * (D / 2), wx), 1, 1],
  wgsl: /* wgsl */ `
  let hd = params.D / 2u;
  let heads = params.NH + params.NKV;
  let i = gid.x;
  if (i >= params.N * heads * hd) { return; }
  let j = i % hd;
  let h = (i / hd) % heads;
  let n = i / (hd * heads);
  let base = n * params.W + select(params.C + (h - params.NH) * params.D, h * params.D, h < params.NH);
  let p = base + select(2u * j, j, params.half != 0u);
  let q = base + select(2u * j + 1u, j + hd, params.half != 0u);
  let t = (params.pos0 + n % params.T) * hd + j;
  let c = cosT[t];
  let s = params.sign * sinT[t];
  let x0 = qkv[p];
  let x1 = qkv[q];
  qkv[p] = x0 * c - x1 * s;
  qkv[q] = x0 * s + x1 * c;`,
});
