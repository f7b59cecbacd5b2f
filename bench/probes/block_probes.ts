/**
 * analyze's device runs (gpu/model/attention_probs.ts) on a half-depth target, each dispatch timed: per kernel the GPU
 * seconds of two runs of B windows of 100 tokens (no early exits), beside each run's wall and process CPU seconds.
 * The first run carries the driver's warm-up and the poll of a pacing key's first batch (gpu/engine/pacing.ts); the
 * second is what each later run costs. A target folder from `inherit`, e.g. GPT-2 124M's first 6 blocks:
 *   npm run -s build && node bench/probes/build.mjs bench/probes/block_probes.ts && TARGET=<dir> node dist/probe.mjs
 * Env: TARGET (required), B (windows per run, default 10), PROFILE (a kernel family; default the probe's choice).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { getNodeDevice } from "../../adapters/devices/webgpu_node.ts";
import { loadModel } from "../../adapters/formats/models.ts";
import { createKernelCache, type KernelProfile, probeLaneWidth, profileFor } from "../../gpu/mod.ts";
import { createBlockProbe } from "../../gpu/model/attention_probs.ts";
const unwrap = <A>(r: E.Either<{ readonly message: string }, A>): A => {
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};
const dev = unwrap(await getNodeDevice()()), cache = createKernelCache(dev.device);
const width = await probeLaneWidth(cache);
const profile = (process.env.PROFILE ?? profileFor({ isCpu: true }, width)) as KernelProfile;
const dir = process.env.TARGET;
if (dir === undefined) throw new Error("TARGET=<folder of an inherited target> is required");
const m = unwrap(await loadModel(dir)());
const p = unwrap(await createBlockProbe(cache, m.spec, m.weights, profile, { timestamps: true })());
const B = Number(process.env.B ?? 10), T = 100;
const tok = Int32Array.from({ length: B * T }, (_, i) => (i * 7919) % 50000);
for (let r = 0; r < 2; r++) {
  const c0 = process.cpuUsage(), t0 = performance.now();
  unwrap(await p.run(tok, tok, B, T, false)());
  const wall = (performance.now() - t0) / 1000, cpu = process.cpuUsage(c0);
  const by = new Map<string, number>();
  for (const k of p.lastKernelTimes()) by.set(k.kernel, (by.get(k.kernel) ?? 0) + k.ns / 1e9);
  const tot = [...by.values()].reduce((a, b) => a + b, 0);
  console.log(
    `run ${r}: wall ${wall.toFixed(1)} s, cpu ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, kernels ${
      tot.toFixed(1)
    } s`,
  );
  for (const [k, s] of [...by].sort((a, b) => b[1] - a[1])) console.log(`  ${s.toFixed(2).padStart(6)} ${k}`);
}
p.destroy();
dev.device.destroy();
