/**
 * Scoring a document under a reference model (Marion et al. 2023, "When Less is More", §3; Ankner et
 * al. 2024, "Perplexed by Perplexity", §3): its mean per-token negative log-likelihood, the
 * perplexity's logarithm, over the first `blockSize` next-token predictions (a document longer than
 * the reference's context is scored on its first window). A document is read as the corpus stores it
 * (BOS first when the boundary puts one there, else BOS is prepended as the context), so every
 * document has at least one target. Pure.
 * @module
 */
import type { TokenRequest } from "../eval/encode_pair.ts";

/** The request whose continuation is every predicted token of the document's first window. */
export const docRequest = (doc: ArrayLike<number>, bos: number, blockSize: number): TokenRequest => {
  const lead = doc.length > 0 && doc[0] === bos ? 0 : 1, n = Math.min(doc.length + lead, blockSize + 1);
  const seq = new Int32Array(n);
  if (lead === 1) seq[0] = bos;
  for (let i = lead; i < n; i++) seq[i] = doc[i - lead]!;
  return { input: seq.subarray(0, n - 1), cont: seq.subarray(1) };
};

/** Mean NLL per target (nats/token) from a request's summed log-probability. */
export const meanNll = (logLikelihood: number, targets: number): number => -logLikelihood / targets;
