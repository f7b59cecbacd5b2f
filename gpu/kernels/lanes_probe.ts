/**
 * Does subgroupBroadcast(v, j) in a workgroup of 8 (or 16) invocations return invocation j's v in every
 * invocation? The "lanes" kernels (gpu/kernels/matmul/matmul_lanes.ts) rely on exactly that: the whole
 * workgroup in one subgroup, subgroup ids equal to local ids. WebGPU promises neither (a subgroup
 * may be 4 wide, or a workgroup split), so it is run once on the device instead of assumed; a
 * device without the "subgroups" feature, or any other answer, means "no".
 * Twin: core/ops/lanes_probe.ts broadcastTable, the answer of a device that can.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { broadcastTable } from "../../core/ops/lanes_probe.ts";
import { createBatch } from "../engine/batch.ts";
import type { KernelCache } from "../engine/compile.ts";
import { defineKernel } from "../engine/kernel.ts";
import { laneName, LANES, type LaneWidth } from "./matmul/matmul_lanes.ts";
import { createTensor, destroyTensor } from "../engine/tensor.ts";

const lanesProbeOf = (lanes: LaneWidth) =>
  defineKernel({
    name: laneName("lanes_probe", lanes),
    enables: ["subgroups"],
    bindings: [{ name: "out", access: "read_write", type: "u32" }],
    uniforms: {},
    workgroupSize: lanes,
    grid: () => [1, 1, 1],
    twin: {
      of: "core/ops/lanes_probe.ts broadcastTable",
      dims: {},
      uniforms: () => ({}),
      inputs: {},
      outputs: { out: () => lanes * lanes },
      run: () => ({ out: broadcastTable(lanes) }),
      tolerance: { out: { _tag: "exact" } },
    },
    // out[i·lanes + j]: what invocation i got from lane j; the answer is j + 100 everywhere
    wgsl: /* wgsl */ `
  ${
      Array.from({ length: lanes }, (_, j) => `out[lidx * ${lanes}u + ${j}u] = subgroupBroadcast(lidx + 100u, ${j}u);`)
        .join("\n  ")
    }`,
  });

export const lanesProbe = lanesProbeOf(8);
export const lanesProbe16 = lanesProbeOf(16);
const PROBES = { 8: lanesProbe, 16: lanesProbe16 } as const;

/** True when the device can run the "lanes" kernels at `lanes` lanes; false on any other outcome, errors included. */
export const probeLanes = async (cache: KernelCache, lanes: LaneWidth = LANES): Promise<boolean> => {
  const device = cache.device;
  if (!device.features.has("subgroups")) return false;
  const compiled = await cache.compile(PROBES[lanes])();
  if (E.isLeft(compiled)) return false;
  const out = createTensor(device, "lanes probe", [lanes * lanes], "u32");
  if (E.isLeft(out)) return false;
  try {
    const batch = createBatch(device, "lanes probe");
    batch.dispatch(compiled.right, { out: out.right }, {});
    const h = batch.read(out.right);
    const r = await batch.submit()();
    const want = broadcastTable(lanes);
    return E.isRight(r) && r.right.get(h).every((v, i) => v === want[i]);
  } finally {
    destroyTensor(out.right);
  }
};

/** The subgroup size the adapter reports as its least (Dawn's adapterInfo), or 0 where it says none. */
const leastSubgroup = (device: GPUDevice): number =>
  (device as { adapterInfo?: { subgroupMinSize?: number } }).adapterInfo?.subgroupMinSize ?? 0;

/**
 * The widest lane count the lanes kernels use here (profileFor's `lanes`): 16 where the adapter's subgroups are at
 * least 16 wide (lavapipe with LP_NATIVE_VECTOR_WIDTH=512) and the probe agrees at both widths (attention's builds
 * stay at 8). The probe alone is not enough: lavapipe at 256 bits reports subgroups of 8 and passed the 16-lane probe
 * in one run, yet a workgroup of 16 spans two subgroups there, and with the 16-lane kernels as its default the suite
 * later failed on wrong gradients (issue 15).
 */
export const probeLaneWidth = async (cache: KernelCache): Promise<0 | LaneWidth> =>
  !(await probeLanes(cache, 8)) ? 0 : leastSubgroup(cache.device) >= 16 && (await probeLanes(cache, 16)) ? 16 : 8;
