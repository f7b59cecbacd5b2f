/**
 * Register-blocked linear kernels for CPU adapters (lavapipe), the "cpu" profile of gpu/kernels/profile.ts.
 * lavapipe runs a workgroup on one thread, 8 invocations per SIMD vector, so the fast shape is a
 * 1-D workgroup of 8 with no workgroup memory: each invocation keeps RN rows × CV vec4 columns of
 * the output in registers; the rows' A values are the same for every lane and the lanes read
 * contiguous vec4 columns of B (lavapipe still loads A per lane: a load in a loop is a scalar load
 * per lane and element; gpu/kernels/matmul/matmul_lanes.ts shares them where subgroups allow). That asks for B row-major with the
 * outputs along its rows, so the forward reads Wᵀ (I, O) (gpu/kernels/transpose.ts keeps it),
 * and the backward reads W (O, I) and x as they are.
 *   forward:    y[n, yOff + o] = Σ_i x[xRow0 + n, i]·Wᵀ[i, o] (+ b[bOff + o]) (+ res[n, yOff + o])
 *   backward x: dx[dxRow0 + n, i] (+)= Σ_o dy[n, dyOff + o]·W[o, i]
 *   backward W: dW[o, i] += Σ_n dy[n, dyOff + o]·x[xRow0 + n, i]
 * A backward sum that adds to its output starts at the output's value (dW, and dx when accumulating),
 * so a sum split over dispatches (binding views, logits chunks) is the same chain of additions.
 * Every output sums its products in index order, as the scalar kernels of matmul.ts and
 * matmul_backward.ts do, so both give the same bits. Needs O, ldy, yOff, bOff (forward) or I
 * (backward) divisible by 4; recordLinear falls back to the scalar kernels otherwise.
 * CPU twins: core/ops/matmul/matmul.ts, core/ops/matmul/matmul_backward.ts (cases and allowances: gpu/kernels/matmul/_matmul_twin.ts).
 * @module
 */
import { ceilDiv, defineKernel, type Vec3 } from "../../engine/kernel.ts";
import { backwardWTwin, backwardXTwin, forwardTwin } from "./_matmul_twin.ts";
import { FORWARD_UNIFORMS } from "./matmul.ts";

/** Rows and vec4 columns of the tile one invocation keeps. */
export type Tile = { readonly RN: number; readonly CV: number };

/** 16 × 8 outputs, the best on lavapipe at 256-bit vectors. */
export const TILE = { RN: 16, CV: 2 } as const satisfies Tile;
/** 0, 1, …, n − 1: a tile's row or column numbers, as the generated WGSL spells them out. */
export const indices = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const ROWS = indices(TILE.RN);
const COLS = indices(TILE.CV);

/** A tile's accumulator (r, c) as a WGSL expression: named variables here, an array in gpu/kernels/matmul/matmul_lanes.ts. */
export type TileAt = (r: number, c: number) => string;
export const namedAcc: TileAt = (r, c) => `acc${r}_${c}`;

/**
 * The inner loop, generated flat: named accumulators and B values, every row and column spelled
 * out, acc(r, c) += a(r)·b(c) over k with a(r) and b(c) WGSL expressions at k. Why flat: naga
 * (Deno's wgpu) keeps function-local arrays in memory on lavapipe, which made the loop with
 * acc[r][c] arrays 4× slower there (4.0 against 16.3 GFLOP/s at 1024² in a raw harness); Tint
 * compiles both alike.
 */
export const flatLoop = (
  count: string,
  a: (r: number) => string,
  b: (c: number) => string,
  start = "",
): string => /* wgsl */ `
  ${ROWS.flatMap((r) => COLS.map((c) => `var ${namedAcc(r, c)} = vec4<f32>(0.0);`)).join(" ")}${start}
  for (var k = 0u; k < ${count}; k++) {
    ${COLS.map((c) => `let b${c} = ${b(c)};`).join(" ")}
    ${
  ROWS.map((r) => `{ let a = ${a(r)}; ${COLS.map((c) => `${namedAcc(r, c)} += a * b${c};`).join(" ")} }`).join("\n    ")
}
  }`;

/** Tile origin (r0 rows, c0 vec4 columns) and each column's clamp (col0, col1, …), so edge tiles read in bounds. */
const tileOrigin = (cols4: string): string => /* wgsl */ `
  let c0 = gid.x * CV;
  let r0 = wg.y * RN;
  if (c0 >= ${cols4}) { return; }
  ${COLS.map((c) => `let col${c} = min(c0 + ${c}u, ${cols4} - 1u);`).join(" ")}`;

/** tileOrigin, and each row's clamped base (base0, base1, …; ROW in rowBase stands for the row). */
export const tileStart = (cols4: string, rows: string, rowBase: string): string =>
  /* wgsl */ `${tileOrigin(cols4)}
  ${ROWS.map((r) => `let base${r} = ${rowBase.replace("ROW", `min(r0 + ${r}u, ${rows} - 1u)`)};`).join("\n  ")}`;

/** Each (r, c) of the tile that lies inside rows × cols4, as guarded WGSL blocks over \`at\`'s value v. */
export const eachInside = (
  rows: string,
  cols4: string,
  body: (r: number, c: number) => string,
  tile: Tile = TILE,
): string =>
  indices(tile.RN).flatMap((r) =>
    indices(tile.CV).map((c) => `
  if (r0 + ${r}u < ${rows} && c0 + ${c}u < ${cols4}) {${body(r, c)}
  }`)
  ).join("");

/**
 * The accumulators start at dw's tile (O, I/4 vec4), and the sum runs on from there: dW += Σ_n as one
 * chain of additions, so rows n split over dispatches (logits chunks, micro-batches) give the same
 * bits as one dispatch over all of them. Rows past O and columns past I4 stay zero.
 */
export const startAtDwTile = (acc: TileAt, tile: Tile = TILE): string =>
  eachInside("params.O", "I4", (r, c) => `
    ${acc(r, c)} = dw[(r0 + ${r}u) * I4 + c0 + ${c}u];`, tile);

/** dW's tile written back into dw (its sum started at dw: startAtDwTile), rows past O and columns past I4 left out. */
export const storeDwTile = (acc: TileAt, tile: Tile = TILE): string =>
  eachInside("params.O", "I4", (r, c) => `
    dw[(r0 + ${r}u) * I4 + c0 + ${c}u] = ${acc(r, c)};`, tile);

/** The forward's tile written to y (N, ldy) at yOff, with bias and residual; rows past N and columns past O4 left out. */
export const storeForwardTile = (acc: TileAt, tile: Tile = TILE): string =>
  eachInside("params.N", "O4", (r, c) => `
    var v = ${acc(r, c)};
    if (params.useBias != 0u) { v += b[params.bOff / 4u + c0 + ${c}u]; }
    let at = ((r0 + ${r}u) * params.ldy + params.yOff) / 4u + c0 + ${c}u;
    if (params.useRes != 0u) { v += res[at]; }
    y[at] = v;`, tile);

/**
 * With \`accumulate\`, the accumulators start at dx's tile (rows dxRow0 + n) and the sum over o runs on
 * from there, so W's rows split into binding views (dispatched in order) give one dispatch's bits.
 */
export const startAtDxTile = (acc: TileAt, tile: Tile = TILE): string =>
  eachInside("params.N", "I4", (r, c) => `
    if (params.accumulate != 0u) { ${acc(r, c)} = dx[(params.dxRow0 + r0 + ${r}u) * I4 + c0 + ${c}u]; }`, tile);

/** dx's tile written at rows dxRow0 + n (its sum started at dx when accumulating); rows past N and columns past I4 left out. */
export const storeDxTile = (acc: TileAt, tile: Tile = TILE): string =>
  eachInside("params.N", "I4", (r, c) => `
    dx[(params.dxRow0 + r0 + ${r}u) * I4 + c0 + ${c}u] = ${acc(r, c)};`, tile);

/**
 * The tile, the workgroup of 8, and the grid over (cols/4 in CV vec4 columns, rows in RN rows),
 * named by the two uniforms that hold cols and rows.
 */
const tileGrid = <C extends string, R extends string>(cols: C, rows: R) =>
  ({
    defines: TILE as Tile,
    workgroupSize: 8,
    grid: (
      u: Readonly<Record<C | R, number>>,
      [wx]: Vec3,
      { RN, CV }: Tile,
    ): Vec3 => [ceilDiv(ceilDiv(u[cols] / 4, CV), wx), ceilDiv(u[rows], RN), 1],
  }) as const;

/** The forward's bindings, uniforms and grid, in every fast forward on Wᵀ with this tile. */
export const forwardOnWt = {
  bindings: [
    { name: "x", access: "read" },
    { name: "wt", access: "read", type: "vec4<f32>" },
    { name: "b", access: "read", type: "vec4<f32>" },
    { name: "res", access: "read", type: "vec4<f32>" },
    { name: "y", access: "read_write", type: "vec4<f32>" },
  ],
  uniforms: FORWARD_UNIFORMS,
  twin: forwardTwin("wt", 4),
  ...tileGrid("O", "N"),
} as const;

/** dx's bindings, uniforms and grid, in every fast dx kernel. */
export const backwardXOnW = {
  bindings: [{ name: "dy", access: "read" }, { name: "w", access: "read", type: "vec4<f32>" }, {
    name: "dx",
    access: "read_write",
    type: "vec4<f32>",
  }],
  uniforms: { N: "u32", I: "u32", O: "u32", ldy: "u32", dyOff: "u32", dxRow0: "u32", accumulate: "u32" },
  twin: backwardXTwin(4),
  ...tileGrid("I", "N"),
} as const;

/** What both dW kernels share but the dy binding: uniforms, tile, grid over (I/4, O). */
export const backwardW = {
  uniforms: { N: "u32", I: "u32", O: "u32", ldy: "u32", dyOff: "u32", xRow0: "u32" },
  twin: backwardWTwin(4),
  ...tileGrid("I", "O"),
} as const;

export const matmulForwardVec4 = defineKernel({
  name: "matmul_forward_vec4",
  ...forwardOnWt,
  wgsl: /* wgsl */ `
  let O4 = params.O / 4u;
  ${tileStart("O4", "params.N", "(params.xRow0 + ROW) * params.I")}
  ${flatLoop("params.I", (r) => `x[base${r} + k]`, (c) => `wt[k * O4 + col${c}]`)}
  ${storeForwardTile(namedAcc)}`,
});

export const matmulBackwardXVec4 = defineKernel({
  name: "matmul_backward_x_vec4",
  ...backwardXOnW,
  wgsl: /* wgsl */ `
  let I4 = params.I / 4u;
  ${tileStart("I4", "params.N", "ROW * params.ldy + params.dyOff")}
  ${flatLoop("params.O", (r) => `dy[base${r} + k]`, (c) => `w[k * I4 + col${c}]`, startAtDxTile(namedAcc))}
  ${storeDxTile(namedAcc)}`,
});

export const matmulBackwardWVec4 = defineKernel({
  name: "matmul_backward_w_vec4",
  bindings: [{ name: "dy", access: "read" }, { name: "x", access: "read", type: "vec4<f32>" }, {
    name: "dw",
    access: "read_write",
    type: "vec4<f32>",
  }],
  ...backwardW,
  wgsl: /* wgsl */ `
  let I4 = params.I / 4u;
  ${tileStart("I4", "params.O", "params.dyOff + ROW")}
  ${
    flatLoop(
      "params.N",
      (r) => `dy[k * params.ldy + base${r}]`,
      (c) => `x[(params.xRow0 + k) * I4 + col${c}]`,
      startAtDwTile(namedAcc),
    )
  }
  ${storeDwTile(namedAcc)}`,
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
  bindings: [{ name: "dy", access: "read", type: "vec4<f32>" }, { name: "x", access: "read", type: "vec4<f32>" }, {
    name: "dw",
    access: "read_write",
    type: "vec4<f32>",
  }],
  ...backwardW,
  twin: backwardWTwin(4, true),
  wgsl: /* wgsl */ `
  let I4 = params.I / 4u;
  ${tileOrigin("I4")}
  ${ROWS.flatMap((r) => COLS.map((c) => `var ${namedAcc(r, c)} = vec4<f32>(0.0);`)).join(" ")}${startAtDwTile(namedAcc)}
  for (var k = 0u; k < params.N; k++) {
    ${COLS.map((c) => `let b${c} = x[(params.xRow0 + k) * I4 + col${c}];`).join(" ")}
    let a0 = (k * params.ldy + params.dyOff + r0) / 4u; // rows past O read neighbours or zeros; never written
    ${
    ROWS.filter((r) => r % 4 === 0).map((r) =>
      `{ let a = dy[a0 + ${r / 4}u]; ${
        ROWS.slice(r, r + 4).flatMap((rr) => COLS.map((c) => `${namedAcc(rr, c)} += a.${"xyzw"[rr - r]} * b${c};`))
          .join(
            " ",
          )
      } }`
    ).join("\n    ")
  }
  }
  ${storeDwTile(namedAcc)}`,
});
