/**
 * A model whose next-token distribution is known in closed form, for hand-checkable downstream scores:
 * "the next letter". A one-block Llama with C = V, one-hot embeddings, every block output weight zero
 * (the blocks add nothing) and an untied head whose row v is e_{v−1}, so after token u the logits are
 * a·[v = u + 1 mod V], a = g / √(1/C + ε) (the final RMSNorm of a one-hot row, gain g), and
 *   log p(v | u) = a − L when v = u + 1 (the greedy token), −L otherwise, L = log(e^a + V − 1),
 * whatever came before u. Its tokenizer maps each character of ALPHABET to its index + 1 (BOS = 0).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { type EvalDoc, metricsOf, type TaskType } from "../core/eval/requests.ts";
import { scoreTask } from "../core/eval/score_task.ts";
import type { Scorer } from "../core/eval/scorer.ts";
import type { LlamaSpec } from "../core/model/spec.ts";
import { allTensors, numel, type Weights } from "../core/model/tensors.ts";
import type { Tokenizer } from "../core/text/tokenizer.ts";

export const ALPHABET = " abcdefghijklmnopqrstuvwxyz:\nAQ?."; // V = 34: an even head for rotary
const V = ALPHABET.length + 1, EPS = 1e-5, GAIN = 0.25;

export const nextLetterSpec: LlamaSpec = {
  _tag: "llama",
  nLayer: 1,
  nEmbd: V,
  nHead: 1,
  nKvHead: 1,
  hiddenDim: 4,
  vocabSize: V,
  blockSize: 64,
  normEps: EPS,
  ropeTheta: 10000,
  ropeStyle: "half",
  tiedHead: false,
};

export const nextLetterWeights = (): Weights =>
  Object.fromEntries(
    allTensors(nextLetterSpec).map((t) => {
      const w = new Float32Array(numel(t.shape));
      if (t.name === "wte") { for (let v = 0; v < V; v++) w[v * V + v] = 1; }
      if (t.name === "lmhead") { for (let v = 0; v < V; v++) w[v * V + ((v + V - 1) % V)] = 1; }
      if (t.name === "normf") w.fill(GAIN);
      if (/norm$/.test(t.name) && t.name !== "normf") w.fill(1);
      return [t.name, w];
    }),
  );

/** The closed form: a, L, and the log-probability of `next` after `prev`. */
export const A = GAIN / Math.sqrt(1 / V + EPS);
export const L = Math.log(Math.exp(A) + V - 1);
export const logp = (prev: number, next: number): number => (next === (prev + 1) % V ? A - L : -L);

export const idOf = (c: string): number => {
  const i = ALPHABET.indexOf(c);
  if (i < 0) throw new Error(`Cannot encode ${JSON.stringify(c)}: not in the test alphabet`);
  return i + 1;
};

/** Loglikelihood of a continuation's text after the context's last character (BOS when empty). */
export const closedFormLl = (contextLast: string | null, continuation: string): number =>
  [...continuation].reduce(
    (s, c, i) =>
      s + logp(i === 0 ? (contextLast === null ? 0 : idOf(contextLast)) : idOf(continuation[i - 1]!), idOf(c)),
    0,
  );

export const letterTokenizer: Tokenizer = {
  vocabSize: V,
  bos: 0,
  eos: 0,
  addsBos: true,
  encode: (text, o) => [...(o.bos ? [0] : []), ...[...text].map(idOf)],
  pieceBytes: (_prev, t) => new TextEncoder().encode(t === 0 ? "" : ALPHABET[t - 1]!),
  decode: (ids) => ids.filter((t) => t !== 0).map((t) => ALPHABET[t - 1]!).join(""),
};

/** Documents of one task type scored on a scorer with the letter tokenizer, 4 rows a pass. */
export const scoreWith = async (scorer: Scorer, type: TaskType, docs: EvalDoc[]) => {
  const r = await scoreTask(scorer, metricsOf(type), docs, {
    encode: (s) => letterTokenizer.encode(s, { bos: false, eos: false }),
    bos: 0,
    rows: 4,
    maxTokens: 256,
  });
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};
