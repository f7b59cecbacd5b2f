/**
 * Device faults in GPU training (Node, Dawn): the device lost mid-run (destroyed through the
 * acquired device's release(), as a driver reset would) ends the run with one GpuFailure naming the
 * step, and the last checkpoint stays whole; a model too large for the adapter's limits or a binding limit its tensors cannot split into (limits
 * lowered by a view of the device, so nothing large is allocated) is one TooLarge error that names
 * the tensor and says what to do. A downstream-task scorer on a lost device fails the same way.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CHECKPOINT_FILE, loadCheckpoint } from "../../adapters/train/checkpoint.ts";
import { watchDeviceLoss, watchScorerLoss } from "../../adapters/devices/device_loss.ts";
import { packBatches } from "../../core/eval/pack.ts";
import { createGpuScorer } from "../../gpu/eval/scorer.ts";
import { runTraining, type TrainRun } from "../../adapters/train/loop.ts";
import type { AcquiredDevice } from "../../adapters/devices/webgpu_device.ts";
import { getNodeDevice } from "../../adapters/devices/webgpu_node.ts";
import { createKernelCache } from "../../gpu/mod.ts";
import type { Trainer } from "../../core/train/trainer.ts";
import { createGpuTrainer } from "../../gpu/train/trainer.ts";
import { TINY, tinyData, tinySettings, tinyWeights } from "../training_fixtures.ts";
import { freshDir, right } from "../tmp.ts";

const run = (device: GPUDevice, out: string, extra: Partial<TrainRun> = {}): TrainRun => ({
  spec: TINY,
  weights: tinyWeights(1),
  data: tinyData(2),
  settings: { ...tinySettings(8), evalEvery: 2, checkpointEvery: 2 },
  out,
  resume: false,
  makeTrainer: (s, init) => createGpuTrainer(createKernelCache(device), s, init),
  ...extra,
});

/** The device seen through lower limits: what the code reads is smaller, every call goes to the real one. */
const withLimits = (
  device: GPUDevice,
  lower: Partial<Record<"maxBufferSize" | "maxStorageBufferBindingSize", number>>,
): GPUDevice => {
  const limits = new Proxy(device.limits, {
    get: (t, k) => (k in lower ? lower[k as keyof typeof lower] : Reflect.get(t, k)),
  });
  return new Proxy(device, {
    get: (t, k) => {
      if (k === "limits") return limits;
      const v = Reflect.get(t, k) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
};

describe("device faults", () => {
  let lost: AcquiredDevice, spare: AcquiredDevice;
  beforeAll(async () => {
    lost = right(await getNodeDevice()());
    spare = right(await getNodeDevice()());
  });
  afterAll(() => [lost, spare].forEach((d) => d.release()));

  test("a device lost after step 3 ends the run with one GpuFailure, and the step-2 checkpoint stays", async () => {
    const out = join(freshDir(), "run");
    const makeTrainer: TrainRun["makeTrainer"] = (s, init) =>
      TE.map((t: Trainer) => watchDeviceLoss(lost.lost, t))(createGpuTrainer(createKernelCache(lost.device), s, init));
    const r = await runTraining(
      run(lost.device, out, { makeTrainer, onMetrics: (m) => void (m.step === 3 && lost.release()) }),
    )();
    expect(E.isLeft(r) && r.left._tag).toBe("GpuFailure");
    expect(E.isLeft(r) && r.left.message).toMatch(
      /^Cannot continue on the GPU: the device was lost \(destroyed[^)]*\)$/,
    );
    expect(E.isLeft(r) && r.left.hint).toMatch(/last checkpoint is kept: run the same command with --resume$/);
    expect(right(await loadCheckpoint(join(out, CHECKPOINT_FILE))()).progress.step).toBe(2);
    expect((await lost.lost).destroyed).toBe(true);
  });

  test("a downstream-task scorer whose device is lost mid-task fails with the same one GpuFailure", async () => {
    const own = right(await getNodeDevice()());
    const raw = right(await createGpuScorer(createKernelCache(own.device), TINY, tinyWeights(1))());
    const scorer = watchScorerLoss(own.lost, raw);
    const [batch] = packBatches([{ input: Int32Array.of(1, 2, 3), cont: Int32Array.of(4, 5) }], {
      rows: 8,
      maxTokens: 64,
    });
    expect(E.isRight(await scorer.score(batch!)())).toBe(true);
    own.release();
    const r = await scorer.score(batch!)();
    expect(E.isLeft(r) && r.left._tag).toBe("GpuFailure");
    expect(E.isLeft(r) && r.left.message).toMatch(
      /^Cannot continue on the GPU: the device was lost \(destroyed[^)]*\)$/,
    );
  });

  test("a NaN in one weight on the GPU stops step 1, naming the first gradient tensor that holds one (read back from the device)", async () => {
    const w = tinyWeights(1), out = join(freshDir(), "run");
    const r = await runTraining(
      run(spare.device, out, { weights: { ...w, "h.1.w1": w["h.1.w1"]!.map((x, i) => (i === 5 ? NaN : x)) } }),
    )();
    expect(E.isLeft(r) && r.left.message).toMatch(
      /^Cannot continue training: the loss is NaN \(the first non-finite gradient is \S+'s, NaN\) at step 1$/,
    );
  });

  test("a model whose tensor exceeds maxBufferSize is one TooLarge error naming the tensor", async () => {
    const small = withLimits(spare.device, { maxBufferSize: 256, maxStorageBufferBindingSize: 256 });
    const r = await runTraining(run(small, join(freshDir(), "run")))();
    expect(E.isLeft(r) && [r.left._tag, (r.left as { kind?: string }).kind]).toEqual(["GpuFailure", "TooLarge"]);
    expect(E.isLeft(r) && r.left.message).toMatch(
      /^Cannot create tensor \w+ [\w.]+: \d+ bytes exceed maxBufferSize 256$/,
    );
    expect(E.isLeft(r) && r.left.hint).toMatch(/smaller model/);
  });

  test("a binding limit below one aligned run of the clip's 256-value chunks is one TooLarge error naming the gradient", async () => {
    const small = withLimits(spare.device, { maxStorageBufferBindingSize: 512 });
    const r = await runTraining(run(small, join(freshDir(), "run")))();
    expect(E.isLeft(r) && [r.left._tag, (r.left as { kind?: string }).kind]).toEqual(["GpuFailure", "TooLarge"]);
    expect(E.isLeft(r) && `${r.left.message} ---> ${r.left.hint}`).toMatch(
      /^Cannot bind gradient \S+: Cannot split .* bindings of 512 bytes .* ---> .*maxStorageBufferBindingSize/,
    );
  });

  test("activations over maxStorageBufferBindingSize are one TooLarge error naming the activation and the flags to lower", async () => {
    // 1 KiB: the weights and the optimizer's 256-value chunks still split into views; the activations do not
    const small = withLimits(spare.device, { maxStorageBufferBindingSize: 1024 });
    const r = await runTraining(
      run(small, join(freshDir(), "run"), { settings: { ...tinySettings(2), batch: 8, ctx: 8 } }),
    )();
    expect(E.isLeft(r) && r.left._tag).toBe("GpuFailure");
    expect(E.isLeft(r) && `${r.left.message} ---> ${r.left.hint}`).toMatch(
      /^Cannot hold .* ---> .*(--batch|--ctx|smaller)/,
    );
  });
});
