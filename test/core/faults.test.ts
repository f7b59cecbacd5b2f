/**
 * Numerical and disk faults in the training loop (adapters/train/loop.ts) on the CPU trainer and a
 * tiny model: a NaN or infinity injected into one gradient tensor or into the loss stops the run at
 * that step, naming the step and the tensor; a learning rate that makes the loss run away is
 * reported as divergence; a full disk while a checkpoint or the model is written is one IoFailure.
 * Each time the last good checkpoint (and any model already exported) stays whole.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { simulateFullDisk } from "../../adapters/fs/atomic_write.ts";
import { CHECKPOINT_FILE, loadCheckpoint } from "../../adapters/train/checkpoint.ts";
import { METRICS_FILE, MODEL_DIR, runTraining, type TrainRun } from "../../adapters/train/loop.ts";
import { createCpuTrainer } from "../../core/train/cpu_trainer.ts";
import type { Trainer } from "../../core/train/trainer.ts";
import { TINY, tinyData, tinySettings, tinyWeights } from "../training_fixtures.ts";
import { freshDir, right } from "../tmp.ts";

const run = (out: string, extra: Partial<TrainRun> = {}): TrainRun => ({
  spec: TINY,
  weights: tinyWeights(1),
  data: tinyData(2),
  settings: { ...tinySettings(8), evalEvery: 2, checkpointEvery: 2 },
  out,
  resume: false,
  makeTrainer: (s, init) => TE.right(createCpuTrainer(s, init)),
  ...extra,
});
const savedStep = async (out: string) => right(await loadCheckpoint(join(out, CHECKPOINT_FILE))()).progress.step;
const leftovers = (out: string) => readdirSync(out).filter((f) => f.includes(".tmp-"));

/** The real trainer, except that at step `at` one value of `tensor`'s gradient (or the loss) becomes `value`. */
const poisoned = (t: Trainer, at: number, tensor: string | "loss", value: number): Trainer => {
  let n = 0;
  return {
    ...t,
    step: (...xs) =>
      TE.map((
        r: { loss: number; gradNorm: number },
      ) => (++n !== at ? r : tensor === "loss" ? { ...r, loss: value } : { ...r, gradNorm: value }))(t.step(...xs)),
    gradients: () =>
      TE.map((g: Readonly<Record<string, Float32Array>>) => {
        if (n !== at || tensor === "loss") return g;
        const bad = g[tensor]!.slice();
        bad[bad.length >> 1] = value;
        return { ...g, [tensor]: bad };
      })(t.gradients!()),
  };
};

describe("numerical faults stop the run at their step, naming it and the tensor, and keep the last good checkpoint", () => {
  const cases: ReadonlyArray<readonly [string, number, number, RegExp]> = [
    ["h.1.wq", NaN, 5, /^Cannot continue training: the gradient of h\.1\.wq is NaN \(gradient norm NaN\) at step 5$/],
    [
      "wte",
      Infinity,
      3,
      /^Cannot continue training: the gradient of wte is Infinity \(gradient norm Infinity\) at step 3$/,
    ],
    [
      "h.0.w2",
      -Infinity,
      8,
      /^Cannot continue training: the gradient of h\.0\.w2 is -Infinity \(gradient norm -Infinity\) at step 8$/,
    ],
    ["loss", Infinity, 6, /^Cannot continue training: the loss is Infinity at step 6$/],
    ["loss", NaN, 1, /^Cannot continue training: the loss is NaN at step 1$/],
  ];
  for (const [tensor, value, at, message] of cases) {
    test(`${value} injected into ${tensor === "loss" ? "the loss" : `${tensor}'s gradient`} at step ${at}`, async () => {
      const out = join(freshDir(), "run");
      const r = await runTraining(
        run(out, { makeTrainer: (s, init) => TE.right(poisoned(createCpuTrainer(s, init), at, tensor, value)) }),
      )();
      expect(E.isLeft(r) && r.left._tag).toBe("Diverged");
      expect(E.isLeft(r) && r.left.message).toMatch(message);
      expect(E.isLeft(r) && r.left.hint).toMatch(
        /last good checkpoint is kept in .*checkpoint\.safetensors; lower --lr/,
      );
      expect(await savedStep(out)).toBe(2 * Math.floor((at - 1) / 2));
      expect(leftovers(out)).toEqual([]);
    });
  }
  test("a real NaN in the weights is traced to the first gradient tensor holding one", async () => {
    const out = join(freshDir(), "run"), w = tinyWeights(1);
    const r = await runTraining(
      run(out, { weights: { ...w, "h.1.w1": w["h.1.w1"]!.map((x, i) => (i === 5 ? NaN : x)) } }),
    )();
    expect(E.isLeft(r) && r.left.message).toMatch(
      /^Cannot continue training: the loss is NaN \(the first non-finite gradient is \S+'s, NaN\) at step 1$/,
    );
  });
  test("a learning rate of 1000 is reported as divergence, with the last good checkpoint kept", async () => {
    const out = join(freshDir(), "run");
    const r = await runTraining(
      run(out, {
        settings: { ...tinySettings(8), lr: 1000, minLr: 1000, warmup: 0, evalEvery: 1, checkpointEvery: 1 },
      }),
    )();
    expect(E.isLeft(r) && r.left._tag).toBe("Diverged");
    expect(E.isLeft(r) && r.left.message).toMatch(
      /^Cannot continue training: the (loss diverged \(\d+\.\d+, over twice \d\.\d+, the larger of the initial validation loss and ln V\)|loss is (NaN|Infinity)[^]*) at step \d$/,
    );
    const step = Number(/at step (\d)$/.exec(E.isLeft(r) ? r.left.message : "")![1]);
    expect(await savedStep(out)).toBe(step - 1);
  });
});

test("a metrics line cut short by a crash is dropped on --resume, which writes the steps after the checkpoint again", async () => {
  const out = join(freshDir(), "run"), ctl = new AbortController();
  await runTraining(run(out, { signal: ctl.signal, onMetrics: (m) => void (m.step === 4 && ctl.abort()) }))();
  appendFileSync(join(out, METRICS_FILE), '{"step":5,"tokens":80,"lr":0.0');
  writeFileSync(join(out, `${CHECKPOINT_FILE}.tmp-killed-0`), "half a checkpoint");
  expect(right(await runTraining(run(out, { resume: true }))())).toMatchObject({ steps: 8, resumed_from: 4 });
  expect(
    readFileSync(join(out, METRICS_FILE), "utf8").trim().split("\n").map((l) =>
      (JSON.parse(l) as { step: number }).step
    ),
  ).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  expect(leftovers(out)).toEqual([]);
});

describe("a full disk while saving is one IoFailure, and what was saved before stays whole", () => {
  test("while the step-4 checkpoint is written (1 KiB in), the step-2 checkpoint stays and no temporary file is left", async () => {
    const out = join(freshDir(), "run");
    let clear = () => undefined as void;
    const r = await runTraining(
      run(out, {
        onMetrics: (m) => void (m.step === 3 && (clear = simulateFullDisk((p) => p.endsWith(CHECKPOINT_FILE), 1024))),
      }),
    )();
    clear();
    expect(E.isLeft(r) && [r.left._tag, r.left.message]).toEqual([
      "IoFailure",
      `Cannot write safetensors file ${join(out, CHECKPOINT_FILE)}: ENOSPC: no space left on device, write (${
        join(out, CHECKPOINT_FILE)
      })`,
    ]);
    expect(await savedStep(out)).toBe(2);
    expect(leftovers(out)).toEqual([]);
    expect(right(await runTraining(run(out, { resume: true }))())).toMatchObject({ steps: 8, resumed_from: 2 });
  });
  test("while a finished run's model is exported again, the earlier export and the checkpoint stay byte for byte", async () => {
    const out = join(freshDir(), "run");
    right(await runTraining(run(out))());
    const model = readFileSync(join(out, MODEL_DIR, "model.safetensors")),
      ck = readFileSync(join(out, CHECKPOINT_FILE));
    const clear = simulateFullDisk((p) => p.endsWith("model.safetensors"), 100);
    const r = await runTraining(run(out, { resume: true }))();
    clear();
    expect(E.isLeft(r) && r.left._tag).toBe("IoFailure");
    expect(E.isLeft(r) && r.left.message).toMatch(
      /^Cannot write safetensors file .*model\.safetensors: ENOSPC: no space left on device/,
    );
    expect(Buffer.compare(readFileSync(join(out, MODEL_DIR, "model.safetensors")), model)).toBe(0);
    expect(Buffer.compare(readFileSync(join(out, CHECKPOINT_FILE)), ck)).toBe(0);
    expect(leftovers(out)).toEqual([]);
  });
});
