/**
 * The central property under Deno (wgpu on lavapipe): for random references of both families,
 * selections and tokens, each target block reproduces its reference block bit for bit and the
 * target's logits are the reference's early exit; stories260K's first 3 blocks likewise.
 * Run: node_modules/deno/deno run -A test/gpu/deno_inheritance.ts [runs]. Throws on any mismatch.
 * @module
 */
import fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { getDenoDevice } from "../../adapters/devices/webgpu_deno.ts";
import { inheritWeights, planInheritance } from "../../core/surgery/plan.ts";
import { createKernelCache } from "../../gpu/mod.ts";
import { createGpuModel } from "../../gpu/model/model.ts";
import { arbInheritanceCase } from "../../props/core/arbitraries.ts";

const unwrap = <A>(r: E.Either<{ readonly message: string; readonly hint?: string }, A>): A => {
  if (E.isLeft(r)) throw new Error(`${r.left.message}\n---> HINT: ${r.left.hint ?? ""}`);
  return r.right;
};
const same = (what: string, got: Float32Array, want: Float32Array): void => {
  const bad = want.findIndex((x, i) => !Object.is(x, got[i]));
  if (got.length !== want.length || bad !== -1) {
    throw new Error(`${what}: [${bad}] = ${got[bad]}, expected ${want[bad]}`);
  }
};

const gpu = unwrap(await getDenoDevice()());
const kernels = createKernelCache(gpu.device);
const runs = Number(globalThis.process?.argv?.[2] ?? 20);
try {
  await fc.assert(
    fc.asyncProperty(arbInheritanceCase, async ({ ref, weights, selection, batch: { B, T, tokens } }) => {
      const plan = unwrap(planInheritance(ref, selection));
      const reference = unwrap(await createGpuModel(kernels, ref, weights)());
      const target = unwrap(await createGpuModel(kernels, plan.target, inheritWeights(plan, weights))());
      try {
        const got = unwrap(await target.forward(tokens, B, T, { stream: true })());
        for (const [k, j] of plan.blocks.entries()) {
          same(
            `block ${k} ← ${j}`,
            got.stream![k + 1]!,
            unwrap(await reference.blockForward(j, got.stream![k]!, B, T)()),
          );
        }
        same("early exit", got.logits, unwrap(await reference.headLogits(got.stream![plan.blocks.length]!, B, T)()));
      } finally {
        reference.destroy();
        target.destroy();
      }
    }),
    { numRuns: runs },
  );
  console.log(`ok: ${runs} random references, every inherited block and the early exit bit for bit under Deno`);
} finally {
  gpu.release();
}
