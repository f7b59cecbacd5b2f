/**
 * GPT-2 124M's half-depth target (6 × 768, vocabulary 50,257) trained on the device for a few steps of
 * 4 × 256 (the scale bench's shape, bench/scale_train.ts), printing each step's wall and process CPU
 * seconds: whether the driver's threads keep every core busy (CPU s ≈ cores × wall) or wait. Run with the
 * driver's thread count as the experiment, e.g. `LP_NUM_THREADS=4 node dist/probe.mjs` after
 * `npm run -s build && node bench/probes/build.mjs bench/probes/gpt2_step.ts`. Env: STEPS (default 3),
 * KEEP (a folder of an already inherited target to reuse).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getNodeDevice } from "../../adapters/devices/webgpu_node.ts";
import { loadModel } from "../../adapters/formats/models.ts";
import { createKernelCache, probeLaneWidth, profileFor } from "../../gpu/mod.ts";
import { createGpuTrainer } from "../../gpu/train/trainer.ts";
import { HYPER, randomBatch } from "../ours.ts";
import { REAL_CONFIGS, writeRandomHfCheckpoint } from "../random_checkpoint.ts";

const unwrap = <A>(r: E.Either<{ readonly message: string }, A>): A => {
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};

const target = async (): Promise<{ dir: string; made: boolean }> => {
  if (process.env.KEEP !== undefined) return { dir: process.env.KEEP, made: false };
  const tmp = mkdtempSync(join(tmpdir(), "gpt2-step-")), ref = join(tmp, "ref"), half = join(tmp, "half");
  const tok = [{ name: "tokenizer.json", bytes: readFileSync("assets/tokenizers/gpt2.tokenizer.json") }];
  unwrap(await writeRandomHfCheckpoint(ref, REAL_CONFIGS["gpt2-124m"]!, { dtype: "f32", seed: 1, extraFiles: tok })());
  execFileSync("node", ["dist/inheritune.mjs", "inherit", ref, "--layers", "6", "--out", half], { stdio: "inherit" });
  rmSync(ref, { recursive: true, force: true });
  return { dir: half, made: true };
};

const t = await target();
const dev = unwrap(await getNodeDevice()()), cache = createKernelCache(dev.device);
try {
  const profile = profileFor(dev.info, await probeLaneWidth(cache));
  const m = unwrap(await loadModel(t.dir)());
  const trainer = unwrap(
    await createGpuTrainer(cache, m.spec, { weights: m.weights }, { profile })(),
  );
  const B = 4, T = 256, steps = Number(process.env.STEPS ?? 3);
  process.stdout.write(
    `LP_NUM_THREADS=${process.env.LP_NUM_THREADS ?? "(unset)"} profile ${profile}\n`,
  );
  for (let i = 0; i < steps; i++) {
    const c0 = process.cpuUsage(), t0 = performance.now();
    unwrap(await trainer.step([randomBatch(m.spec.vocabSize, B * T)], B, T, HYPER)());
    const wall = (performance.now() - t0) / 1000, cpu = process.cpuUsage(c0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    process.stdout.write(
      `step ${i}: ${wall.toFixed(1)} s wall, ${cpuS.toFixed(1)} s CPU (${(cpuS / wall).toFixed(2)} cores), ${
        ((B * T) / wall).toFixed(1)
      } tok/s\n`,
    );
  }
  trainer.destroy();
} finally {
  dev.device.destroy();
  if (t.made) rmSync(join(t.dir, ".."), { recursive: true, force: true });
}
