/**
 * The register-blocked linear kernels of gpu/kernels/matmul/matmul_vec4.ts with the tile's A values
 * shared across the workgroup's 8 lanes by subgroupBroadcast: the "lanes" profile of
 * gpu/kernels/profile.ts, for CPU adapters whose subgroups hold a whole workgroup of 8 (checked once per
 * device by gpu/kernels/lanes_probe.ts; never assumed).
 * Why: on lavapipe a load inside a loop is a scalar load per lane and element, bounds check
 * included (~12 instructions), even where every lane asks for the same address. The vec4 kernels
 * load each of a tile's RN A values in all 8 lanes; here lane j loads rows j, 8 + j, … once and
 * the others take them from its register (one shuffle each), so a step over k loads RN/8 A values
 * per lane instead of RN. lavapipe, 1024², `npm run bench`: 15 → 23 GFLOP/s; the same tile
 * without any loads reaches about 31 there (bench/ceiling.ts).
 *   forward:    y[n, yOff + o] = Σ_i x[xRow0 + n, i]·Wᵀ[i, o] (+ b[bOff + o]) (+ res[n, yOff + o])
 *   backward x: dx[dxRow0 + n, i] (+)= Σ_o dy[n, dyOff + o]·W[o, i]
 *   backward W: dW[o, i] += Σ_n dy[n, dyOff + o]·x[xRow0 + n, i]
 * Same products, summed in the same index order, as the vec4 and scalar kernels: the same bits.
 * No lane leaves early (a broadcast from a lane that returned is undefined): edge lanes compute
 * clamped duplicates and skip only their writes. Shapes as the vec4 kernels (multiples of 4).
 * Measured no better on lavapipe (Mesa 25.0, 2-core EPYC, AVX2; forward at 1024², variants interleaved, GFLOP per
 * process CPU second since the machine is shared; issue 15): k unrolled 2× or 4× in the text (35–45% slower,
 * though the load-free loop gains ~25%: each step over k costs a multiply, an add, a blend with the loop mask and a
 * spilled accumulator's load and store); tiles of 8 to 32 rows by 4 to 16 columns (within the ±10% noise);
 * rows-fastest workgroup order (no gain, head shape included); lanes owning rows with the workgroup's columns
 * shared, B loaded at uniform addresses (4–9× slower: inside a loop lavapipe loads a uniform address per lane too).
 * Two widths: 8 lanes with 16 × 8 tiles ("lanes"), and 16 lanes with 32 × 8 tiles ("lanes16"), for lavapipe at 512-bit
 * vectors (LP_NATIVE_VECTOR_WIDTH=512, Mesa's override, on an AVX-512 host), where its subgroups are 16 wide.
 * Measured there (Xeon, AVX-512, 2 cores; matmul 1024², GFLOP/s): 8 lanes at 256 bits 14; 16 lanes with 16-row tiles
 * 18, with 32 × 8 tiles 21–23, with 16 × 16 or 32 × 4 17–19; the block probes of `analyze` on GPT-2 124M's half-depth
 * target, 10 windows: matmul 6.74 → 4.13 s a run, the other kernels unchanged.
 * bench/probes/matmul_shapes.ts times these kernels at a GPT-2 step's shapes.
 * CPU twins: core/ops/matmul/matmul.ts, core/ops/matmul/matmul_backward.ts.
 * @module
 */
import { defineKernel } from "../../engine/kernel.ts";
import {
  backwardW,
  backwardXOnW,
  forwardOnWt,
  indices,
  startAtDwTile,
  startAtDxTile,
  storeDwTile,
  storeDxTile,
  storeForwardTile,
  TILE,
  type Tile,
  type TileAt,
} from "./matmul_vec4.ts";

/** Lanes per workgroup, all in one subgroup; each owns RN / lanes of the tile's rows. */
export type LaneWidth = 8 | 16;
export const LANES = 8;
export const LANE_WIDTHS: readonly LaneWidth[] = [8, 16];

/** The tile of each width: 16 × 8 outputs a lane at 8 lanes (as the vec4 kernels), 32 × 8 at 16. */
export const LANE_TILES: Readonly<Record<LaneWidth, Tile>> = { 8: TILE, 16: { RN: 32, CV: 2 } };

/** A family's workgroup, tile and what its grid reads (defines RN, CV), for `lanes` lanes. */
export const laneWorkgroup = (lanes: LaneWidth) =>
  ({ enables: ["subgroups"], workgroupSize: lanes, defines: LANE_TILES[lanes] }) as const;

/**
 * Tile origin without an early return, and this lane's own rows r = t·lanes + lidx as clamped
 * bases (ROW in rowBase stands for the row): own[t].
 */
export const laneStart = (lanes: LaneWidth, cols4: string, nRows: string, rowBase: string): string => {
  const own = LANE_TILES[lanes].RN / lanes;
  return /* wgsl */ `
  let c0 = gid.x * CV;
  let r0 = wg.y * RN;
  var col: array<u32, CV>;
  for (var c = 0u; c < CV; c++) { col[c] = min(c0 + c, ${cols4} - 1u); }
  var own: array<u32, ${own}>;
  for (var t = 0u; t < ${own}u; t++) { own[t] = ${
    rowBase.replace("ROW", `min(r0 + t * ${lanes}u + lidx, ${nRows} - 1u)`)
  }; }`;
};

/** acc[r][c] += A(r, k)·B(k, c): each lane loads its own rows' A (aAt, with OWN for own[t]), row r comes from lane r % lanes. */
export const laneLoop = (lanes: LaneWidth, count: string, aAt: string, bAt: string, start = ""): string => {
  const { RN } = LANE_TILES[lanes];
  return /* wgsl */ `
  var acc: array<array<vec4<f32>, CV>, RN>;${start}
  for (var k = 0u; k < ${count}; k++) {
    var bv: array<vec4<f32>, CV>;
    for (var c = 0u; c < CV; c++) { bv[c] = ${bAt}; }
    ${indices(RN / lanes).map((t) => `let m${t} = ${aAt.replace("OWN", `own[${t}]`)};`).join(" ")}
    ${
    indices(RN).map((r) =>
      `{ let a = subgroupBroadcast(m${Math.floor(r / lanes)}, ${
        r % lanes
      }u); for (var c = 0u; c < CV; c++) { acc[${r}][c] += a * bv[c]; } }`
    ).join("\n    ")
  }
  }`;
};

export const laneAcc: TileAt = (r, c) => `acc[${r}][${c}]`;

/** A lanes kernel's name at a width: matmul_forward_lanes at 8 lanes, matmul_forward_lanes16 at 16. */
export const laneName = (base: string, lanes: LaneWidth): string => (lanes === 8 ? base : `${base}${lanes}`);

const forwardLanes = (lanes: LaneWidth) => {
  const tile = LANE_TILES[lanes];
  return defineKernel({
    name: laneName("matmul_forward_lanes", lanes),
    ...forwardOnWt,
    ...laneWorkgroup(lanes),
    wgsl: /* wgsl */ `
  let O4 = params.O / 4u;
  ${laneStart(lanes, "O4", "params.N", "(params.xRow0 + ROW) * params.I")}
  ${laneLoop(lanes, "params.I", "x[OWN + k]", "wt[k * O4 + col[c]]")}
  ${storeForwardTile(laneAcc, tile)}`,
  });
};

const backwardXLanes = (lanes: LaneWidth) => {
  const tile = LANE_TILES[lanes];
  return defineKernel({
    name: laneName("matmul_backward_x_lanes", lanes),
    ...backwardXOnW,
    ...laneWorkgroup(lanes),
    wgsl: /* wgsl */ `
  let I4 = params.I / 4u;
  ${laneStart(lanes, "I4", "params.N", "ROW * params.ldy + params.dyOff")}
  ${laneLoop(lanes, "params.O", "dy[OWN + k]", "w[k * I4 + col[c]]", startAtDxTile(laneAcc, tile))}
  ${storeDxTile(laneAcc, tile)}`,
  });
};

const backwardWLanes = (lanes: LaneWidth) => {
  const tile = LANE_TILES[lanes];
  return defineKernel({
    name: laneName("matmul_backward_w_lanes", lanes),
    bindings: [{ name: "dy", access: "read" }, { name: "x", access: "read", type: "vec4<f32>" }, {
      name: "dw",
      access: "read_write",
      type: "vec4<f32>",
    }],
    ...backwardW,
    ...laneWorkgroup(lanes),
    wgsl: /* wgsl */ `
  let I4 = params.I / 4u;
  ${laneStart(lanes, "I4", "params.O", "params.dyOff + ROW")}
  ${
      laneLoop(
        lanes,
        "params.N",
        "dy[k * params.ldy + OWN]",
        "x[(params.xRow0 + k) * I4 + col[c]]",
        startAtDwTile(laneAcc, tile),
      )
    }
  ${storeDwTile(laneAcc, tile)}`,
  });
};

export const matmulForwardLanes = forwardLanes(8);
export const matmulBackwardXLanes = backwardXLanes(8);
export const matmulBackwardWLanes = backwardWLanes(8);
export const matmulForwardLanes16 = forwardLanes(16);
export const matmulBackwardXLanes16 = backwardXLanes(16);
export const matmulBackwardWLanes16 = backwardWLanes(16);
