/**
 * What the "cpu" matmul tile could reach on this adapter if loading cost nothing: the same 16 × 8
 * register tile per invocation, workgroups of 8, the same multiply-adds over k, but the A and B
 * values made from registers in the loop instead of loaded. On lavapipe this measures the
 * arithmetic the compiled loop costs (each vector multiply-add is a multiply, an add and a blend
 * with the execution mask, accumulators spilled): the bound our matmul cannot pass there, whatever
 * its loads. Counted as 2·N³ flops for an N² × N "matmul" of N = 1024, as matmulGflops counts.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { ceilDiv, createBatch, createTensor, defineFixture, destroyTensor, type KernelCache } from "../gpu/mod.ts";
import { timeIt } from "./ours.ts";

const RN = 16, CV = 2;
const rows = Array.from({ length: RN }, (_, r) => r), cols = Array.from({ length: CV }, (_, c) => c);

const tileCeiling = defineFixture({
  name: "bench_tile_ceiling",
  bindings: [{ name: "seed", access: "read", type: "vec4<f32>" }, {
    name: "y",
    access: "read_write",
    type: "vec4<f32>",
  }],
  uniforms: { K: "u32", O4: "u32" },
  workgroupSize: 8,
  grid: ({ K, O4 }, [wx]) => [ceilDiv(ceilDiv(O4, CV), wx), ceilDiv(K, RN), 1],
  wgsl: /* wgsl */ `
  let c0 = gid.x * ${CV}u;
  let r0 = wg.y * ${RN}u;
  let s = seed[lidx % 4u];
  ${rows.flatMap((r) => cols.map((c) => `var acc${r}_${c} = vec4<f32>(0.0);`)).join(" ")}
  for (var k = 0u; k < params.K; k++) {
    let fk = f32(k);
    ${cols.map((c) => `let b${c} = s * (fk + ${c + 1}.0);`).join(" ")}
    ${
    rows.map((r) => `{ let a = s.x + fk * ${r + 1}.0; ${cols.map((c) => `acc${r}_${c} += a * b${c};`).join(" ")} }`)
      .join("\n    ")
  }
  }
  ${
    rows.flatMap((r) =>
      cols.map((c) => `if (c0 + ${c}u < params.O4) { y[(r0 + ${r}u) * params.O4 + c0 + ${c}u] = acc${r}_${c}; }`)
    ).join("\n  ")
  }`,
}, "a benchmark of the loop's arithmetic: its outputs are not an op");

/** GFLOP/s of the load-free tile loop at N × N × N, or undefined when a step fails (it is a side measurement). */
export const tileCeilingGflops = async (cache: KernelCache, N: number, minMs: number): Promise<number | undefined> => {
  const device = cache.device, compiled = await cache.compile(tileCeiling)();
  const seed = createTensor(device, "bench ceiling seed", [16], "f32"),
    y = createTensor(device, "bench ceiling y", [N, N], "f32");
  if (E.isLeft(compiled) || E.isLeft(seed) || E.isLeft(y)) return undefined;
  const u = { K: N, O4: N / 4 };
  try {
    const ms = await timeIt(minMs, async () => {
      const batch = createBatch(device, "bench ceiling");
      batch.dispatch(compiled.right, { seed: seed.right, y: y.right }, u);
      batch.read(seed.right);
      const r = await batch.submit()();
      if (E.isLeft(r)) throw new Error(r.left.message);
    });
    return (2 * N * N * N) / ms / 1e6;
  } finally {
    destroyTensor(seed.right);
    destroyTensor(y.right);
  }
};
