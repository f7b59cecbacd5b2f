/**
 * A subset chosen by document, as the manifest records it: the strategy's ranges
 * (core/select/select_docs.ts) and a `selection` record (strategy, reference, band, the mean
 * reference loss of the chosen tokens and of the whole scored pool), so subsets and the runs trained
 * on them can be compared. `chunk` is 0: the subset is cut at document boundaries, not in chunks.
 * @module
 */
import { type DocTable, selectDocuments } from "../../core/select/select_docs.ts";
import type { SelectSpec } from "../../core/select/select_spec.ts";
import type { Manifest, SelectionRecord } from "./token_store.ts";

export interface ChooseOptions extends SelectSpec {
  readonly budget: number;
  readonly seed: number;
  readonly reference: string | null;
  readonly scoredTokens: number | null; // the reference's context: predictions scored per document at most
}

/** Token-weighted mean score over every scored document (the pool a band is cut from). */
export const poolMeanNll = (t: DocTable, scores: ArrayLike<number> | undefined): number | null => {
  if (scores === undefined) return null;
  let w = 0, s = 0;
  for (let i = 0; i < t.starts.length; i++) {
    const n = t.ends[i]! - t.starts[i]!;
    if (Number.isFinite(scores[i]!)) [w, s] = [w + n, s + n * scores[i]!];
  }
  return w > 0 ? s / w : null;
};

export const chooseSubset = (
  t: DocTable,
  scores: ArrayLike<number> | undefined,
  o: ChooseOptions,
): NonNullable<Manifest["subset"]> => {
  const sel = selectDocuments({ ...t, ...(scores !== undefined ? { scores } : {}) }, o);
  const selection: SelectionRecord = {
    strategy: o.strategy,
    dedup: o.dedup,
    reference: o.reference,
    scored_tokens: o.scoredTokens,
    documents: sel.docs.length,
    candidates: sel.candidates,
    duplicates: sel.duplicates,
    band: sel.band === null ? null : { quantiles: [...sel.band.quantiles], nll: [...sel.band.nll] },
    mean_nll: sel.meanNll,
    pool_mean_nll: poolMeanNll(t, scores),
  };
  return { seed: o.seed, budget: o.budget, chunk: 0, ranges: sel.ranges.map(([a, b]) => [a, b]), selection };
};
