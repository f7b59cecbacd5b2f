/**
 * Register-blocked linear kernels for CPU adapters (lavapipe), the "cpu" profile of gpu/profile.ts.
 * lavapipe runs a workgroup on one thread, 8 invocations per SIMD vector, so the fast shape is a
 * 1-D workgroup of 8 with no workgroup memory: each invocation keeps RN rows × CV vec4 columns of
 * the output in registers; the rows' A values are the same for every lane (uniform loads, one
 * broadcast) and the lanes read contiguous vec4 columns of B. That asks for B row-major with the
 * outputs along its rows, so the forward reads Wᵀ (I, O) (gpu/kernels/transpose.ts keeps it),
 * and the backward reads W (O, I) and x as they are.
 *   forward:    y[n, yOff + o] = Σ_i x[xRow0 + n, i]·Wᵀ[i, o] (+ b[bOff + o]) (+ res[n, yOff + o])
 *   backward x: dx[dxRow0 + n, i] (+)= Σ_o dy[n, dyOff + o]·W[o, i]
 *   backward W: dW[o, i] += Σ_n dy[n, dyOff + o]·x[xRow0 + n, i]
 * Every output sums its products in index order, as the scalar kernels of matmul.ts and
 * matmul_backward.ts do, so both give the same bits. Needs O, ldy, yOff, bOff (forward) or I
 * (backward) divisible by 4; recordLinear falls back to the scalar kernels otherwise.
 * CPU twins: core/ops/linear.ts, core/ops/linear_backward.ts.
 * @module
 */
import { ceilDiv, defineKernel, type Vec3 } from "../kernel.ts";

/** Rows and vec4 columns of the tile one invocation keeps: 16 × 8 outputs, the best on lavapipe. */
export const TILE = { RN: 16, CV: 2 } as const;

/** The shared inner loop: acc[r][c] += a(r, k)·B(k, c) over k, with a and B given as WGSL expressions. */
const tileLoop = (count: string, aAt: string, bAt: string): string => /* wgsl */ `
  var acc: array<array<vec4<f32>, CV>, RN>;
  for (var k = 0u; k < ${count}; k++) {
    var bv: array<vec4<f32>, CV>;
    for (var c = 0u; c < CV; c++) { bv[c] = ${bAt}; }
    for (var r = 0u; r < RN; r++) {
      let a = ${aAt};
      for (var c = 0u; c < CV; c++) { acc[r][c] += a * bv[c]; }
    }
  }`;

/** Tile origin (r0 rows, c0 vec4 columns) and each column's clamp, so edge tiles read in bounds. */
const tileOrigin = (cols4: string): string => /* wgsl */ `
  let c0 = gid.x * CV;
  let r0 = wg.y * RN;
  if (c0 >= ${cols4}) { return; }
  var col: array<u32, CV>;
  for (var c = 0u; c < CV; c++) { col[c] = min(c0 + c, ${cols4} - 1u); }`;

/** tileOrigin, and each row's clamped base (ROW in rowBase stands for the row). */
const tileStart = (cols4: string, rows: string, rowBase: string): string => /* wgsl */ `${tileOrigin(cols4)}
  var base: array<u32, RN>;
  for (var r = 0u; r < RN; r++) { base[r] = ${rowBase.replace("ROW", `min(r0 + r, ${rows} - 1u)`)}; }`;

/** dW's tile added into dw (O, I/4 vec4), rows past O and columns past I4 left out. */
export const addDwTile = /* wgsl */ `
  for (var r = 0u; r < RN; r++) {
    let o = r0 + r;
    if (o >= params.O) { break; }
    for (var c = 0u; c < CV; c++) {
      if (c0 + c >= I4) { break; }
      let at = o * I4 + c0 + c;
      dw[at] = dw[at] + acc[r][c];
    }
  }`;

/** The forward's tile written to y (N, ldy) at yOff, with bias and residual; rows past N and columns past O4 left out. */
export const storeForwardTile = /* wgsl */ `
  for (var r = 0u; r < RN; r++) {
    let n = r0 + r;
    if (n >= params.N) { break; }
    for (var c = 0u; c < CV; c++) {
      if (c0 + c >= O4) { break; }
      var v = acc[r][c];
      if (params.useBias != 0u) { v += b[params.bOff / 4u + c0 + c]; }
      let at = (n * params.ldy + params.yOff) / 4u + c0 + c;
      if (params.useRes != 0u) { v += res[at]; }
      y[at] = v;
    }
  }`;

/** dx's tile written (or added) at rows dxRow0 + n; rows past N and columns past I4 left out. */
export const storeDxTile = /* wgsl */ `
  for (var r = 0u; r < RN; r++) {
    let n = r0 + r;
    if (n >= params.N) { break; }
    for (var c = 0u; c < CV; c++) {
      if (c0 + c >= I4) { break; }
      let at = (params.dxRow0 + n) * I4 + c0 + c;
      if (params.accumulate != 0u) { dx[at] = dx[at] + acc[r][c]; } else { dx[at] = acc[r][c]; }
    }
  }`;

/** The forward's bindings and uniforms, in every fast forward on Wᵀ. */
export const forwardOnWt = {
  bindings: [
    { name: "x", access: "read" }, { name: "wt", access: "read", type: "vec4<f32>" }, { name: "b", access: "read", type: "vec4<f32>" },
    { name: "res", access: "read", type: "vec4<f32>" }, { name: "y", access: "read_write", type: "vec4<f32>" },
  ],
  uniforms: { N: "u32", I: "u32", O: "u32", ldy: "u32", yOff: "u32", bOff: "u32", useBias: "u32", useRes: "u32", xRow0: "u32" },
} as const;

/** dx's bindings and uniforms, in every fast dx kernel. */
export const backwardXOnW = {
  bindings: [{ name: "dy", access: "read" }, { name: "w", access: "read", type: "vec4<f32>" }, { name: "dx", access: "read_write", type: "vec4<f32>" }],
  uniforms: { N: "u32", I: "u32", O: "u32", ldy: "u32", dyOff: "u32", dxRow0: "u32", accumulate: "u32" },
} as const;

/** What both dW kernels share but the dy binding: uniforms, tile, grid over (I/4, O). */
export const backwardW = {
  uniforms: { N: "u32", I: "u32", O: "u32", ldy: "u32", dyOff: "u32", xRow0: "u32" },
  defines: TILE,
  workgroupSize: 8,
  grid: ({ O, I }: { O: number; I: number }, [wx]: Vec3, { RN, CV }: typeof TILE): Vec3 => [ceilDiv(ceilDiv(I / 4, CV), wx), ceilDiv(O, RN), 1],
} as const;

export const matmulForwardVec4 = defineKernel({
  name: "matmul_forward_vec4",
  ...forwardOnWt,
  defines: TILE,
  workgroupSize: 8,
  grid: ({ N, O }, [wx], { RN, CV }) => [ceilDiv(ceilDiv(O / 4, CV), wx), ceilDiv(N, RN), 1],
  wgsl: /* wgsl */ `
  let O4 = params.O / 4u;
  ${tileStart("O4", "params.N", "(params.xRow0 + ROW) * params.I")}
  ${tileLoop("params.I", "x[base[r] + k]", "wt[k * O4 + col[c]]")}
  ${storeForwardTile}`,
});

export const matmulBackwardXVec4 = defineKernel({
  name: "matmul_backward_x_vec4",
  ...backwardXOnW,
  defines: TILE,
  workgroupSize: 8,
  grid: ({ N, I }, [wx], { RN, CV }) => [ceilDiv(ceilDiv(I / 4, CV), wx), ceilDiv(N, RN), 1],
  wgsl: /* wgsl */ `
  let I4 = params.I / 4u;
  ${tileStart("I4", "params.N", "ROW * params.ldy + params.dyOff")}
  ${tileLoop("params.O", "dy[base[r] + k]", "w[k * I4 + col[c]]")}
  ${storeDxTile}`,
});

export const matmulBackwardWVec4 = defineKernel({
  name: "matmul_backward_w_vec4",
  bindings: [{ name: "dy", access: "read" }, { name: "x", access: "read", type: "vec4<f32>" }, { name: "dw", access: "read_write", type: "vec4<f32>" }],
  ...backwardW,
  wgsl: /* wgsl */ `
  let I4 = params.I / 4u;
  ${tileStart("I4", "params.O", "params.dyOff + ROW")}
  ${tileLoop("params.N", "dy[k * params.ldy + base[r]]", "x[(params.xRow0 + k) * I4 + col[c]]")}
  ${addDwTile}`,
});

/**
 * matmul_backward_w_vec4 when dy's rows allow vec4 reads (ldy and dyOff multiples of 4): a tile's
 * RN outputs o are RN consecutive columns of dy's row n, so each k reads them as RN/4 vec4s
 * instead of RN scalars. On lavapipe every load in a loop costs per lane and element, and a vec4
 * shares one lane test among its four: the loop's A loads cost less than half. Same products in
 * the same order: same bits as matmul_backward_w_vec4.
 */
export const matmulBackwardWVec4Rows = defineKernel({
  name: "matmul_backward_w_vec4_rows",
  bindings: [{ name: "dy", access: "read", type: "vec4<f32>" }, { name: "x", access: "read", type: "vec4<f32>" }, { name: "dw", access: "read_write", type: "vec4<f32>" }],
  ...backwardW,
  wgsl: /* wgsl */ `
  let I4 = params.I / 4u;
  ${tileOrigin("I4")}
  var acc: array<array<vec4<f32>, CV>, RN>;
  for (var k = 0u; k < params.N; k++) {
    var bv: array<vec4<f32>, CV>;
    for (var c = 0u; c < CV; c++) { bv[c] = x[(params.xRow0 + k) * I4 + col[c]]; }
    let a0 = (k * params.ldy + params.dyOff + r0) / 4u; // rows past O read neighbours or zeros; never written
    for (var r4 = 0u; r4 < RN / 4u; r4++) {
      let a = dy[a0 + r4];
      for (var c = 0u; c < CV; c++) {
        acc[4u * r4][c] += a.x * bv[c];
        acc[4u * r4 + 1u][c] += a.y * bv[c];
        acc[4u * r4 + 2u][c] += a.z * bv[c];
        acc[4u * r4 + 3u][c] += a.w * bv[c];
      }
    }
  }
  ${addDwTile}`,
});
