/**
 * Fresh weights for a scratch baseline, as GPT-2 / nanoGPT initialise: every matrix and embedding
 * N(0, 0.02²), the residual output projections (attprojw, fcprojw, wo, w2) N(0, (0.02/√(2L))²),
 * norm gains 1, biases 0. Normals come from the seeded xorshift64* stream (core/rng.ts) by
 * Box–Muller, so a seed gives the same model in every runtime.
 * @module
 */
import type { InheritancePlan } from "../surgery/plan.ts";
import { nextF32, type RngState, seedRng } from "../rng.ts";
import { isBiasName } from "./features.ts";
import type { ModelSpec } from "./spec.ts";
import { allTensors, numel, type Weights } from "./tensors.ts";

const RESIDUAL_OUT = /\.(attprojw|fcprojw|wo|w2)$/;

const normals = (n: number, std: number, rng: RngState): readonly [Float32Array, RngState] => {
  const out = new Float32Array(n);
  let s = rng;
  for (let i = 0; i < n; i += 2) {
    let u1: number, u2: number;
    [u1, s] = nextF32(s);
    [u2, s] = nextF32(s);
    const r = Math.sqrt(-2 * Math.log(1 - u1)) * std, a = 2 * Math.PI * u2;
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return [out, s];
};

/** Every tensor of the spec, freshly initialised from `seed`. */
export const initWeights = (s: ModelSpec, seed: number): Weights => {
  let rng = seedRng(seed);
  const w: Record<string, Float32Array> = {};
  for (const t of allTensors(s)) {
    if (t.shape.length === 1) {
      w[t.name] = new Float32Array(t.shape[0]!).fill(isBiasName(t.name) ? 0 : 1);
      continue;
    }
    const std = RESIDUAL_OUT.test(t.name) ? 0.02 / Math.sqrt(2 * s.nLayer) : 0.02;
    [w[t.name], rng] = normals(numel(t.shape), std, rng);
  }
  return w;
};

/** A plan's target weights: inherited tensors from the reference, initialised ones from `seed`. */
export const targetWeights = (plan: InheritancePlan, reference: Weights, seed: number): Weights => {
  const fresh = plan.entries.some((e) => e.fate._tag === "init") ? initWeights(plan.target, seed) : {};
  return Object.fromEntries(
    plan.entries.flatMap((e) =>
      e.fate._tag === "inherit"
        ? [[e.target, reference[e.fate.from]!.slice()]]
        : e.fate._tag === "init"
        ? [[e.target, fresh[e.target]!]]
        : []
    ),
  );
};
