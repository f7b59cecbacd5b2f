/**
 * `--layers` for every command: a strategy (core/surgery/strategies.ts) turned into a selection, measuring
 * the reference's blocks first (adapters/analysis/measure.ts) when the strategy ranks them.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { analyzeBlocks, type GpuBackend } from "../adapters/analysis/measure.ts";
import type { Model } from "../adapters/formats/models.ts";
import type { TokenArray } from "../core/train/batches.ts";
import type { BlockReport } from "../core/surgery/diagnostics.ts";
import type { AppError } from "../core/errors.ts";
import { type InheritancePlan, planInheritance } from "../core/surgery/plan.ts";
import { chooseBlocks, needsDiagnostics, parseStrategy, strategyName } from "../core/surgery/strategies.ts";

export interface Chosen {
  readonly name: string; // the strategy, normalised (first:3, influence:3, …)
  readonly plan: InheritancePlan;
  readonly reason: string;
}

/**
 * The paper's measurement windows for ranking blocks: 32 held-out sequences of 100 tokens. No early exits: the
 * strategies rank by influence or attention rank alone, and the LM head after every block costs more than the blocks.
 */
const DIAG = { sequences: 32, T: 100, exitSequences: 0 };

export const selectBlocks = async (
  m: Model,
  text: string,
  val: TokenArray | undefined,
  gpu?: GpuBackend,
  cache?: { reports?: ReadonlyArray<BlockReport> },
): Promise<E.Either<AppError, Chosen>> => {
  const st = parseStrategy(text);
  if (E.isLeft(st)) return st;
  let reports = cache?.reports;
  if (needsDiagnostics(st.right) && reports === undefined && val !== undefined) {
    const r = await analyzeBlocks(m.spec, m.weights, val, DIAG, gpu);
    if (E.isLeft(r)) return r;
    reports = r.right;
    if (cache) cache.reports = reports;
  }
  const c = chooseBlocks(st.right, m.spec.nLayer, reports);
  if (E.isLeft(c)) return c;
  return E.map((plan: InheritancePlan) => ({ name: strategyName(st.right), plan, reason: c.right.reason }))(
    planInheritance(m.spec, c.right.selection),
  );
};
