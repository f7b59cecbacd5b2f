/**
 * The training loop (adapters/train/loop.ts) on the CPU trainer and a tiny model: an interrupted and
 * resumed run ends with the weights and metrics of an uninterrupted one; a NaN loss stops the run
 * and keeps the last good checkpoint; the result loads as a model; misuse of --out is refused.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { CHECKPOINT_FILE, loadCheckpoint } from "../../adapters/train/checkpoint.ts";
import { loadHfModel } from "../../adapters/formats/hf_checkpoint.ts";
import { type Metrics, METRICS_FILE, MODEL_DIR, runTraining, type TrainRun } from "../../adapters/train/loop.ts";
import { createCpuTrainer } from "../../core/train/cpu_trainer.ts";
import type { Trainer } from "../../core/train/trainer.ts";
import { bits, TINY, tinyData, tinySettings, tinyWeights } from "../training_fixtures.ts";
import { freshDir, right } from "../tmp.ts";
import { withoutTimings } from "../../adapters/train/settings.ts";

const run = (out: string, extra: Partial<TrainRun> = {}): TrainRun => ({
  spec: TINY,
  weights: tinyWeights(1),
  data: tinyData(2),
  settings: tinySettings(7),
  out,
  resume: false,
  makeTrainer: (s, init) => TE.right(createCpuTrainer(s, init)),
  ...extra,
});
const metricsOf = (out: string) =>
  readFileSync(join(out, METRICS_FILE), "utf8").trim().split("\n").map((l) => withoutTimings(JSON.parse(l) as Metrics));
const finalWeights = async (out: string) =>
  bits(right(await loadCheckpoint(join(out, CHECKPOINT_FILE))()).state.weights);

describe("the training loop", () => {
  test("a run interrupted after step 3 and resumed ends bit for bit where an uninterrupted run ends, with the same metrics", async () => {
    const [a, b] = [join(freshDir(), "a"), join(freshDir(), "b")];
    const whole = right(await runTraining(run(a))());
    expect(whole).toMatchObject({ steps: 7, tokens: 7 * 2 * 2 * 4, val_loss: expect.any(Number), resumed_from: null });
    const ctl = new AbortController();
    const stopped = await runTraining(run(b, { signal: ctl.signal, onMetrics: (m) => m.step === 3 && ctl.abort() }))();
    expect(E.isLeft(stopped) && [stopped.left._tag, stopped.left.message]).toEqual([
      "Interrupted",
      "Cannot finish training: interrupted after step 3 of 7",
    ]);
    expect(right(await loadCheckpoint(join(b, CHECKPOINT_FILE))()).progress.step).toBe(3);
    const resumed = right(await runTraining(run(b, { resume: true }))());
    expect({ ...resumed, out: a, model: whole.model, tokens_per_s: null, resumed_from: null }).toEqual({
      ...whole,
      tokens_per_s: null,
    });
    expect(resumed.resumed_from).toBe(3);
    expect(await finalWeights(b)).toEqual(await finalWeights(a));
    expect(metricsOf(b)).toEqual(metricsOf(a));
    expect(bits(right(await loadHfModel(join(a, MODEL_DIR))()).weights)).toEqual(await finalWeights(a));
  });
  test("a NaN loss stops the run with a clear message and the last good checkpoint stays", async () => {
    const out = join(freshDir(), "nan");
    const poisoned = (t: Trainer, at: number): Trainer => {
      let n = 0;
      return {
        ...t,
        step: (...xs) =>
          TE.map((r: { loss: number; gradNorm: number }) => (++n === at ? { ...r, loss: NaN } : r))(t.step(...xs)),
      };
    };
    const r = await runTraining(
      run(out, { makeTrainer: (s, init) => TE.right(poisoned(createCpuTrainer(s, init), 5)) }),
    )();
    expect(E.isLeft(r) && [r.left._tag, r.left.message]).toEqual([
      "Diverged",
      "Cannot continue training: the loss is NaN at step 5",
    ]);
    expect(E.isLeft(r) && r.left.hint).toMatch(/last good checkpoint is kept in .*checkpoint\.safetensors/);
    expect(right(await loadCheckpoint(join(out, CHECKPOINT_FILE))()).progress.step).toBe(4);
  });
  test("a second run into the same --out is refused, and a resume with other settings says which differs", async () => {
    const out = join(freshDir(), "x");
    right(await runTraining(run(out, { settings: tinySettings(2) }))());
    const again = await runTraining(run(out, { settings: tinySettings(2) }))();
    expect(E.isLeft(again) && again.left.message).toMatch(/^Cannot start training in .*: it holds an earlier run$/);
    const other = await runTraining(run(out, { settings: { ...tinySettings(2), lr: 0.5 }, resume: true }))();
    expect(E.isLeft(other) && other.left.message).toMatch(/it was made with lr 0\.01, this run asks 0\.5$/);
    const fresh = await runTraining(run(join(freshDir(), "none"), { resume: true }))();
    expect(E.isLeft(fresh) && fresh.left.message).toMatch(/^Cannot resume: .*checkpoint\.safetensors does not exist$/);
  });
});
