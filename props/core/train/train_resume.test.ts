/**
 * Model-based test of training, saving and resuming (fast-check commands): for any tiny model and
 * any interleaving of train-steps, saves and resumes (a resume rolls back to the last save, as a
 * crash and restart would), the weights after every command are, bit for bit, those of one
 * uninterrupted run at the same step. The steps and checkpoints are the loop's own
 * (adapters/train/loop.ts stepOnce, adapters/train/checkpoint.ts) on the CPU trainer.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import * as E from "fp-ts/lib/Either.js";
import { join } from "node:path";
import { expect } from "vitest";
import {
  loadCheckpoint,
  type Progress,
  saveCheckpoint,
  type TrainSettings,
} from "../../../adapters/train/checkpoint.ts";
import { stepOnce, type TrainData } from "../../../adapters/train/loop.ts";
import { createCpuTrainer } from "../../../core/train/cpu_trainer.ts";
import { seedRng } from "../../../core/rng.ts";
import { type ModelSpec, withDepth } from "../../../core/model/spec.ts";
import type { Trainer } from "../../../core/train/trainer.ts";
import { bits, tinySettings } from "../../../test/training_fixtures.ts";
import { freshDir, right } from "../../../test/tmp.ts";
import { arbSpec, arbWeights } from "../arbitraries.ts";

const MAX = 6;
interface Model {
  step: number;
  saved: number | null;
}
interface Real {
  readonly w: World;
  trainer: Trainer;
  progress: Progress;
  readonly path: string;
}
interface World {
  spec: ModelSpec;
  data: TrainData;
  settings: TrainSettings;
  reference: ReadonlyArray<ReturnType<typeof bits>>;
}

const weightsNow = async (t: Trainer) => bits(right(await t.state()()).weights);

class TrainStep implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => m.step < MAX;
  async run(m: Model, r: Real) {
    const s = await stepOnce(r.trainer, r.w.data, r.w.settings, r.progress);
    if (E.isLeft(s)) throw new Error(s.left.message);
    r.progress = s.right.progress;
    m.step++;
    expect(await weightsNow(r.trainer)).toEqual(r.w.reference[m.step]);
  }
  toString = () => "step";
}
class Save implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real) {
    right(
      await saveCheckpoint(r.path, {
        spec: r.w.spec,
        state: right(await r.trainer.state()()),
        progress: r.progress,
        settings: r.w.settings,
      })(),
    );
    m.saved = m.step;
  }
  toString = () => "save";
}
class Resume implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => m.saved !== null;
  async run(m: Model, r: Real) {
    const ck = right(await loadCheckpoint(r.path)());
    r.trainer = createCpuTrainer(ck.spec, ck.state); // a fresh process: nothing carried over but the file
    r.progress = ck.progress;
    m.step = m.saved!;
    expect(await weightsNow(r.trainer)).toEqual(r.w.reference[m.step]);
  }
  toString = () => "resume";
}

/** A tiny model (at most 2 blocks), its weights, a token stream and the uninterrupted run's weights after each step. */
const arbWorld = arbSpec.map((s) => withDepth(s, Math.min(2, s.nLayer))).chain((spec) =>
  fc.record({
    spec: fc.constant(spec),
    weights: arbWeights(spec),
    accum: fc.integer({ min: 1, max: 2 }),
    seed: fc.nat(),
    stream: fc.array(fc.nat(spec.vocabSize - 1), { minLength: 24, maxLength: 60 }),
  })
);

const uninterrupted = async (
  spec: ModelSpec,
  weights: Parameters<typeof createCpuTrainer>[1],
  data: TrainData,
  settings: TrainSettings,
) => {
  const t = createCpuTrainer(spec, weights), out = [await weightsNow(t)];
  let p: Progress = { step: 0, tokens: 0, rng: seedRng(settings.seed), valLossInitial: 0 };
  for (let i = 0; i < MAX; i++) {
    const s = await stepOnce(t, data, settings, p);
    if (E.isLeft(s)) throw new Error(s.left.message);
    p = s.right.progress;
    out.push(await weightsNow(t));
  }
  return out;
};

const arbCommands = fc.commands([fc.constant(new TrainStep()), fc.constant(new Save()), fc.constant(new Resume())], {
  maxCommands: 14,
});

test.prop([arbWorld, arbCommands], { numRuns: 60 })(
  "for any tiny model and any interleaving of train-steps, saves and resumes, the weights equal an uninterrupted run's at the same step, bit for bit",
  async (c, cmds) => {
    const ctx = Math.min(4, c.spec.blockSize, c.stream.length - 1);
    const settings = { ...tinySettings(MAX), ctx, accum: c.accum, seed: c.seed };
    const data = { train: Uint16Array.from(c.stream), val: Uint16Array.from(c.stream) };
    const w: World = {
      spec: c.spec,
      data,
      settings,
      reference: await uninterrupted(c.spec, { weights: c.weights }, data, settings),
    };
    const start: Progress = { step: 0, tokens: 0, rng: seedRng(c.seed), valLossInitial: 0 };
    await fc.asyncModelRun(() => ({
      model: { step: 0, saved: null },
      real: {
        w,
        trainer: createCpuTrainer(c.spec, { weights: c.weights }),
        progress: start,
        path: join(freshDir(), "ck.safetensors"),
      },
    }), cmds);
  },
);
