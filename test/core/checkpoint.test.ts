/**
 * Training checkpoints (adapters/train/checkpoint.ts): what is written reads back identically; a failed
 * write leaves the previous checkpoint as it was; a damaged file is one clear BadFile error.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { copyFileSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from "../../adapters/train/checkpoint.ts";
import { saveSafetensors } from "../../adapters/formats/safetensors.ts";
import { allTensors } from "../../core/model/tensors.ts";
import { bits, TINY, tinySettings, tinyWeights } from "../training_fixtures.ts";
import { freshDir, right } from "../tmp.ts";

const checkpoint = (seed: number): Checkpoint => ({
  spec: TINY,
  settings: tinySettings(10),
  state: { weights: tinyWeights(seed), m: tinyWeights(seed + 1), v: tinyWeights(seed + 2), t: 3 + seed },
  progress: { step: 3 + seed, tokens: 48 * (3 + seed), rng: 0xfedcba9876543210n + BigInt(seed), valLossInitial: 2.75 },
});
const sameCheckpoint = (a: Checkpoint, b: Checkpoint) => {
  expect([a.spec, a.settings, a.progress, a.state.t]).toEqual([b.spec, b.settings, b.progress, b.state.t]);
  for (const k of ["weights", "m", "v"] as const) expect(bits(a.state[k])).toEqual(bits(b.state[k]));
};

describe("training checkpoints", () => {
  test("a checkpoint reads back as written: weights, moments, t, step, tokens, RNG state, settings and spec", async () => {
    const path = join(freshDir(), "c.safetensors"), c = checkpoint(0);
    right(await saveCheckpoint(path, c)());
    sameCheckpoint(right(await loadCheckpoint(path)()), c);
  });
  test("a head-pruned model's checkpoint (heads of their own width, NH·D ≠ C) reads back with its head size", async () => {
    const spec = { ...TINY, nHead: 1, headSize: 4 }, path = join(freshDir(), "c.safetensors");
    const c: Checkpoint = {
      ...checkpoint(0),
      spec,
      state: { weights: tinyWeights(0, spec), m: tinyWeights(1, spec), v: tinyWeights(2, spec), t: 3 },
    };
    right(await saveCheckpoint(path, c)());
    sameCheckpoint(right(await loadCheckpoint(path)()), c);
  });
  test("a write that fails midway leaves the previous checkpoint intact and no temporary file behind", async () => {
    const dir = freshDir(), path = join(dir, "c.safetensors"), good = checkpoint(0);
    right(await saveCheckpoint(path, good)());
    const bytes = readFileSync(path);
    const last = allTensors(TINY).at(-1)!.name, next = checkpoint(1);
    // The last second-moment tensor is short: the writer fails after the header and most tensors are written.
    const broken: Checkpoint = {
      ...next,
      state: { ...next.state, v: { ...next.state.v, [last]: next.state.v[last]!.subarray(1) } },
    };
    const r = await saveCheckpoint(path, broken)();
    expect(E.isLeft(r) && r.left._tag).toBe("IoFailure");
    expect(readFileSync(path)).toEqual(bytes);
    expect(readdirSync(dir)).toEqual(["c.safetensors"]);
    sameCheckpoint(right(await loadCheckpoint(path)()), good);
  });
  test("a truncated, corrupted, missing or foreign file is one BadFile error that says so", async () => {
    const dir = freshDir(), path = join(dir, "c.safetensors");
    right(await saveCheckpoint(path, checkpoint(0))());
    const size = readFileSync(path).length;
    const variant = (
      name: string,
      f: (p: string) => void,
    ) => (copyFileSync(path, join(dir, name)), f(join(dir, name)), join(dir, name));
    const cases: Array<[string, RegExp]> = [
      [
        variant("short", (p) => truncateSync(p, size - 100)),
        /Cannot resume from checkpoint .*short: .*(ended|claims|outside)/,
      ],
      [
        variant("flip", (p) => {
          const b = readFileSync(p);
          b[size - 5] = b[size - 5]! ^ 0x40;
          writeFileSync(p, b);
        }),
        /do not match their checksum/,
      ],
      [join(dir, "absent"), /no such file/],
    ];
    right(await saveSafetensors(join(dir, "model"), [{ name: "wte", shape: [2], data: new Float32Array(2) }], "F32")());
    cases.push([join(dir, "model"), /holds no training record/]);
    for (const [p, why] of cases) {
      const r = await loadCheckpoint(p)();
      expect(E.isLeft(r) && [r.left._tag, r.left.message]).toEqual(["BadFile", expect.stringMatching(why)]);
    }
  });
});
