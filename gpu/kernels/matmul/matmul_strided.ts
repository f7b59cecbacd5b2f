/**
 * The fast linear forwards on Wᵀ of every profile (gpu/kernels/matmul/matmul_vec4.ts, matmul_lanes.ts,
 * matmul_tiled.ts), for an output whose row stride or column offset is not a multiple of 4:
 *   y[n, yOff + o] = Σ_i x[xRow0 + n, i]·Wᵀ[i, o] (+ b[bOff + o]) (+ res[n, yOff + o])
 * Why: the LM head writes logits (N, V) with ldy = V, and V is odd for GPT-2 (50,257), so the vec4
 * kernels, which write y as vec4s, cannot take it and the head fell to the scalar kernel: on
 * lavapipe about 5× slower per FLOP than the lanes kernel, 63% of the kernel time of a 2-block GPT-2
 * step at 4×256 and nearly all of `analyze`'s early exits. Here the sums are the same kernels' (same tiles, same
 * products in the same order), and only the store differs: y, b and res are bound as f32 and each
 * vec4 of the tile is written as four scalars (v = acc + b + res per component, as the vector
 * adds do). So each gives its vec4 kernel's bits, and the scalar kernel's. Needs O a multiple of 4
 * (Wᵀ holds O/4 vec4 columns); ldy, yOff and bOff any.
 * CPU twin: core/ops/matmul/matmul.ts linear (cases and allowance: gpu/kernels/matmul/_matmul_twin.ts).
 * @module
 */
import { defineKernel } from "../../engine/kernel.ts";
import { forwardTwin } from "./_matmul_twin.ts";
import { FORWARD_UNIFORMS } from "./matmul.ts";
import { LANE_TILES, laneAcc, laneLoop, laneName, laneStart, type LaneWidth, laneWorkgroup } from "./matmul_lanes.ts";
import { TILED_WORKGROUPS, tiledForwardSums } from "./matmul_tiled.ts";
import { eachInside, flatLoop, forwardOnWt, namedAcc, TILE, type Tile, type TileAt, tileStart } from "./matmul_vec4.ts";

/** The bindings of a strided forward: Wᵀ as vec4 columns, everything else as f32. */
const STRIDED_BINDINGS = [
  { name: "x", access: "read" },
  { name: "wt", access: "read", type: "vec4<f32>" },
  { name: "b", access: "read" },
  { name: "res", access: "read" },
  { name: "y", access: "read_write" },
] as const;

/** The value v (a vec4 at output columns o .. o + 3 of row n) with its bias and residual, written as four f32. */
const storeScalars = (v: string, n: string, o: string): string => /* wgsl */ `
    var v = ${v};
    let o = ${o};
    if (params.useBias != 0u) {
      let bo = params.bOff + o;
      v += vec4<f32>(b[bo], b[bo + 1u], b[bo + 2u], b[bo + 3u]);
    }
    let at = ${n} * params.ldy + params.yOff + o;
    if (params.useRes != 0u) { v += vec4<f32>(res[at], res[at + 1u], res[at + 2u], res[at + 3u]); }
    y[at] = v.x;
    y[at + 1u] = v.y;
    y[at + 2u] = v.z;
    y[at + 3u] = v.w;`;

/** A register tile (RN rows × CV vec4 columns from r0, c0) stored as scalars; rows past N and columns past O4 left out. */
const storeTileScalars = (acc: TileAt, tile: Tile = TILE): string =>
  eachInside("params.N", "O4", (r, c) => storeScalars(acc(r, c), `(r0 + ${r}u)`, `(c0 + ${c}u) * 4u`), tile);

const strided = { bindings: STRIDED_BINDINGS, uniforms: FORWARD_UNIFORMS, twin: forwardTwin("wt", "o4") } as const;

/** matmul_forward_vec4 with scalar stores (the "cpu" profile). */
export const matmulForwardVec4Strided = defineKernel({
  name: "matmul_forward_vec4_strided",
  ...forwardOnWt,
  ...strided,
  wgsl: /* wgsl */ `
  let O4 = params.O / 4u;
  ${tileStart("O4", "params.N", "(params.xRow0 + ROW) * params.I")}
  ${flatLoop("params.I", (r) => `x[base${r} + k]`, (c) => `wt[k * O4 + col${c}]`)}
  ${storeTileScalars(namedAcc)}`,
});

const forwardLanesStrided = (lanes: LaneWidth) =>
  defineKernel({
    name: `${laneName("matmul_forward_lanes", lanes)}_strided`,
    ...forwardOnWt,
    ...strided,
    ...laneWorkgroup(lanes),
    wgsl: /* wgsl */ `
  let O4 = params.O / 4u;
  ${laneStart(lanes, "O4", "params.N", "(params.xRow0 + ROW) * params.I")}
  ${laneLoop(lanes, "params.I", "x[OWN + k]", "wt[k * O4 + col[c]]")}
  ${storeTileScalars(laneAcc, LANE_TILES[lanes])}`,
  });

/** matmul_forward_lanes with scalar stores (the "lanes" profile), and matmul_forward_lanes16's ("lanes16"). */
export const matmulForwardLanesStrided = forwardLanesStrided(8);
export const matmulForwardLanes16Strided = forwardLanesStrided(16);

/** matmul_forward_tiled with scalar stores (the "gpu" profile). */
export const matmulForwardTiledStrided = defineKernel({
  name: "matmul_forward_tiled_strided",
  ...strided,
  ...TILED_WORKGROUPS,
  wgsl: /* wgsl */ `${tiledForwardSums}
  if (col >= O4) { return; }
  for (var r = 0u; r < 4u; r++) {
    let n = row0 + r;
    if (n >= params.N) { break; }${storeScalars("acc[r]", "n", "col * 4u")}
  }`,
});
