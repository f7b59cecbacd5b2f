/**
 * A tiny model, a token stream and settings for training tests on the CPU reference: small enough
 * that a step takes a millisecond, big enough to have every kind of tensor (GQA, untied head).
 * @module
 */
import type { TrainSettings } from "../adapters/train/checkpoint.ts";
import type { TrainData } from "../adapters/train/loop.ts";
import type { LlamaSpec } from "../core/model/spec.ts";
import { allTensors, numel, type Weights } from "../core/model/tensors.ts";

export const TINY: LlamaSpec = {
  _tag: "llama",
  nLayer: 2,
  nEmbd: 8,
  nHead: 2,
  nKvHead: 1,
  vocabSize: 16,
  blockSize: 8,
  normEps: 1e-5,
  hiddenDim: 12,
  ropeTheta: 10000,
  ropeStyle: "interleaved",
  tiedHead: false,
};

/** A seeded stream of uniforms in [0, 1) (an LCG: tests only need variety, not quality). */
export const lcg = (seed: number) => {
  let a = seed >>> 0;
  return () => ((a = (Math.imul(a, 1664525) + 1013904223) >>> 0) / 4294967296);
};

export const tinyWeights = (seed: number, s = TINY): Weights => {
  const next = lcg(seed);
  return Object.fromEntries(
    allTensors(s).map((t) => [
      t.name,
      Float32Array.from(
        { length: numel(t.shape) },
        () => (t.shape.length === 1 ? 1 : 0) + (next() * 2 - 1) / Math.sqrt(t.shape[t.shape.length - 1]!),
      ),
    ]),
  );
};

/** A stream with structure to learn (mostly counting up), split 90/10. */
export const tinyData = (seed: number, n = 400, V = TINY.vocabSize): TrainData => {
  const next = lcg(seed), xs = new Uint16Array(n);
  for (let i = 1; i < n; i++) xs[i] = next() < 0.8 ? (xs[i - 1]! + 1) % V : Math.floor(next() * V);
  const cut = Math.floor(n * 0.9);
  return { train: xs.subarray(0, cut), val: xs.subarray(cut) };
};

export const tinySettings = (steps: number): TrainSettings => ({
  steps,
  batch: 2,
  ctx: 4,
  accum: 2,
  lr: 1e-2,
  minLr: 1e-3,
  warmup: 2,
  weightDecay: 0.1,
  gradClip: 1,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  evalEvery: 2,
  checkpointEvery: 2,
  evalTokens: 0,
  seed: 7,
});

/** Weights as their bit patterns, so equality is bit for bit (−0 ≠ +0, NaN payloads count). */
export const bits = (w: Weights): Record<string, Uint32Array> =>
  Object.fromEntries(
    Object.entries(w).map(([k, a]) => [k, new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength))]),
  );
