/**
 * The `--select` value: a strategy (random, ppl-low, ppl-mid, ppl-high), optionally with `dedup`
 * before it (`dedup,ppl-low`); `dedup` alone is dedup then random. Pure.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { type AppError, appError } from "../errors.ts";
import { STRATEGIES, type Strategy } from "./select_docs.ts";

export interface SelectSpec {
  readonly strategy: Strategy;
  readonly dedup: boolean;
}

export const selectName = (s: SelectSpec): string => (s.dedup ? `dedup,${s.strategy}` : s.strategy);

export const decodeSelect = (text: string): E.Either<AppError, SelectSpec> => {
  const parts = text.split(/[,+]/).map((p) => p.trim()).filter((p) => p !== "");
  const dedup = parts.includes("dedup"), rest = parts.filter((p) => p !== "dedup");
  const strategy = rest.length === 0 && dedup ? "random" : rest[0];
  if (rest.length > 1 || !STRATEGIES.includes(strategy as Strategy)) {
    return E.left(
      appError(
        "BadArgs",
        `Cannot choose a subset by "${text}": it is not one of ${STRATEGIES.join(", ")}, dedup, or dedup,<strategy>`,
        "e.g. --select ppl-mid, or --select dedup,ppl-low",
      ),
    );
  }
  return E.right({ strategy: strategy as Strategy, dedup });
};
