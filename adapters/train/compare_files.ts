/**
 * Writing a comparison's report.json, report.md and curves.svg, each atomically, and reading a
 * run's validation curve back from its metrics.jsonl.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type CompareReport, reportChart, reportMarkdown } from "../../core/report/compare_report.ts";
import { type AppError, appError } from "../../core/errors.ts";
import { writeBytesAtomic } from "../fs/atomic_write.ts";
import { type Metrics, METRICS_FILE } from "./loop.ts";

/** (tokens, val loss) of every metrics line of a run that has a validation loss. */
export const readCurve = async (out: string): Promise<E.Either<AppError, ReadonlyArray<readonly [number, number]>>> => {
  const path = join(out, METRICS_FILE);
  try {
    const lines = (await readFile(path, "utf8")).split("\n").filter((l) => l.trim() !== "");
    return E.right(
      lines.map((l) => JSON.parse(l) as Metrics).flatMap((
        m,
      ) => (m.val_loss === null ? [] : [[m.tokens, m.val_loss] as const])),
    );
  } catch (e) {
    return E.left(
      appError(
        "BadFile",
        `Cannot read the metrics of ${out}: ${e instanceof Error ? e.message : String(e)}`,
        "the run did not finish; run compare again",
      ),
    );
  }
};

export const writeReport = async (dir: string, r: CompareReport): Promise<E.Either<AppError, void>> => {
  for (
    const [name, text] of [["report.json", JSON.stringify(r, null, 2) + "\n"], ["report.md", reportMarkdown(r)], [
      "curves.svg",
      reportChart(r),
    ]] as const
  ) {
    const w = await writeBytesAtomic(join(dir, name), "comparison report", new TextEncoder().encode(text))();
    if (E.isLeft(w)) return w;
  }
  return E.right(undefined);
};
