/**
 * Choosing the next token from logits (V): greedy at temperature 0, otherwise softmax at the
 * temperature with nucleus (top-p) truncation (Holtzman et al. 2019), as llama2.c's sampler.
 * @module
 */
import { softmaxRow } from "../ops/cross_entropy.ts";
import { nextF32, type RngState } from "../rng.ts";

export interface SamplerConfig {
  readonly temperature: number; // 0 = greedy
  readonly topP: number; // in (0, 1]; 1 = plain multinomial
}

/** Index of the first largest logit, as run.c's argmax. */
export const argmax = (x: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
};

/** Draw from probabilities p restricted to the smallest set of most likely tokens whose mass exceeds topP. */
const nucleus = (p: Float64Array, topP: number, coin: number): number => {
  const order = Array.from(p.keys()).sort((a, b) => p[b]! - p[a]! || a - b);
  let mass = 0, last = order.length - 1;
  for (let i = 0; i < order.length; i++) {
    mass += p[order[i]!]!;
    if (mass > topP) {
      last = i;
      break;
    }
  }
  const r = coin * mass;
  let acc = 0;
  for (let i = 0; i <= last; i++) {
    acc += p[order[i]!]!;
    if (r < acc) return order[i]!;
  }
  return order[last]!;
};

export const sampleToken = (logits: Float32Array, cfg: SamplerConfig, rng: RngState): readonly [number, RngState] => {
  if (cfg.temperature === 0) return [argmax(logits), rng];
  const p = softmaxRow(logits, 0, logits.length, cfg.temperature);
  const [coin, next] = nextF32(rng);
  return [nucleus(p, cfg.topP, coin), next];
};
