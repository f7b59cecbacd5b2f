/**
 * Does subgroupBroadcast(v, j) in a workgroup of LANES invocations return invocation j's v in every
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
import { LANES } from "./matmul/matmul_lanes.ts";
import { createTensor, destroyTensor } from "../engine/tensor.ts";

export const lanesProbe = defineKernel({
  name: "lanes_probe",
  enables: ["subgroups"],
  bindings: [{ name: "out", access: "read_write", type: "u32" }],
  uniforms: {},
  workgroupSize: LANES,
  grid: () => [1, 1, 1],
  twin: {
    of: "core/ops/lanes_probe.ts broadcastTable",
    dims: {},
    uniforms: () => ({}),
    inputs: {},
    outputs: { out: () => LANES * LANES },
    run: () => ({ out: broadcastTable(LANES) }),
    tolerance: { out: { _tag: "exact" } },
  },
  // out[i·LANES + j]: what invocation i got from lane j; the answer is j + 100 everywhere
  wgsl: /* wgsl */ `
  ${
    Array.from({ length: LANES }, (_, j) => `out[lidx * ${LANES}u + ${j}u] = subgroupBroadcast(lidx + 100u, ${j}u);`)
      .join("\n  ")
  }`,
});

/** True when the device can run the "lanes" kernels; false on any other outcome, errors included. */
export const probeLanes = async (cache: KernelCache): Promise<boolean> => {
  const device = cache.device;
  if (!device.features.has("subgroups")) return false;
  const compiled = await cache.compile(lanesProbe)();
  if (E.isLeft(compiled)) return false;
  const out = createTensor(device, "lanes probe", [LANES * LANES], "u32");
  if (E.isLeft(out)) return false;
  try {
    const batch = createBatch(device, "lanes probe");
    batch.dispatch(compiled.right, { out: out.right }, {});
    const h = batch.read(out.right);
    const r = await batch.submit()();
    const want = broadcastTable(LANES);
    return E.isRight(r) && r.right.get(h).every((v, i) => v === want[i]);
  } finally {
    destroyTensor(out.right);
  }
};
