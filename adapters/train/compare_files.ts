/**
 * Writing a comparison's report.json, report.md and curves.svg, each atomically, and reading a
 * run's validation curve back from its metrics.jsonl. With downstream results (compare --tasks),
 * report.json gains `downstream` ({model: {task: metrics}}), report.md a table of them and
 * tasks.svg, a bar chart beside curves.svg.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type CompareReport, reportChart, reportMarkdown } from "../../core/report/compare_report.ts";
import { barChart } from "../../core/eval/bar_chart.ts";
import { type ModelResults, resultsMarkdown } from "../../core/eval/report.ts";
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

/** Downstream results of the reference and each target, and each task's chance accuracy for the chart. */
export interface Downstream {
  readonly models: ReadonlyArray<ModelResults>;
  readonly chance: Readonly<Record<string, number>>;
}

const downstreamMarkdown = (d: Downstream): string =>
  [
    "## Downstream tasks (zero-shot, lm-evaluation-harness conventions)",
    "",
    resultsMarkdown(d.models),
    "![downstream accuracy](tasks.svg)",
    "",
  ].join("\n");

export const writeReport = async (
  dir: string,
  r: CompareReport,
  downstream?: Downstream,
): Promise<E.Either<AppError, void>> => {
  const json = downstream === undefined
    ? r
    : { ...r, downstream: Object.fromEntries(downstream.models.map((m) => [m.name, m.results])) };
  const files: Array<readonly [string, string]> = [
    ["report.json", JSON.stringify(json, null, 2) + "\n"],
    ["report.md", reportMarkdown(r) + (downstream === undefined ? "" : "\n" + downstreamMarkdown(downstream))],
    ["curves.svg", reportChart(r)],
    ...(downstream === undefined ? [] : [
      [
        "tasks.svg",
        barChart("Zero-shot accuracy on downstream tasks", downstream.models, downstream.chance),
      ] as const,
    ]),
  ];
  for (const [name, text] of files) {
    const w = await writeBytesAtomic(join(dir, name), "comparison report", new TextEncoder().encode(text))();
    if (E.isLeft(w)) return w;
  }
  return E.right(undefined);
};
