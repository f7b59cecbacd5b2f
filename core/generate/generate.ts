/**
 * Autoregressive generation as llama2.c's run.c does it: feed the prompt (BOS first) one token at
 * a time, then the sampled ones; stop at BOS/EOS, after maxNewTokens, or at the context limit.
 * The step function is the backend (CPU reference or GPU), so this loop is shared.
 * Yields every token after the first: the rest of the prompt, then the generated ones.
 * @module
 */
import { seedRng } from "../rng.ts";
import { type SamplerConfig, sampleToken } from "./sample.ts";

export type Step<S> = (
  state: S,
  token: number,
) => { logits: Float32Array; state: S } | Promise<{ logits: Float32Array; state: S }>;

export interface GenerateConfig {
  readonly maxNewTokens: number;
  readonly sampler: SamplerConfig;
  readonly seed: number;
  readonly stopTokens: ReadonlyArray<number>;
  readonly contextLength: number; // positions available
}

export async function* generate<S>(
  step: Step<S>,
  init: S,
  prompt: ReadonlyArray<number>,
  cfg: GenerateConfig,
): AsyncGenerator<number> {
  let state = init, rng = seedRng(cfg.seed), token = prompt[0]!, made = 0;
  for (let pos = 0; pos < cfg.contextLength; pos++) {
    const r = await step(state, token);
    state = r.state;
    let next: number;
    if (pos + 1 < prompt.length) next = prompt[pos + 1]!;
    else {
      if (made >= cfg.maxNewTokens) return;
      [next, rng] = sampleToken(r.logits, cfg.sampler, rng);
      made++;
      if (cfg.stopTokens.includes(next)) return;
    }
    yield next;
    token = next;
  }
}
