/**
 * Downstream results as text: the table `inheritune eval --tasks` prints (task, metric, value,
 * ± stderr, n), the Markdown table compare adds to report.md (one column per model), and the
 * headline metric of a task for the bar chart (acc_norm where the task has it, else acc).
 * Pure.
 * @module
 */
import type { TaskMetrics } from "./metrics.ts";

export type TaskResults = Readonly<Record<string, TaskMetrics>>;

export interface ModelResults {
  readonly name: string;
  readonly results: TaskResults;
}

type Row = { readonly task: string; readonly metric: string; readonly value: number; readonly stderr: number | null };

const rowsOf = (task: string, m: TaskMetrics): Row[] => [
  ...(m.acc !== undefined ? [{ task, metric: "acc", value: m.acc, stderr: m.acc_stderr ?? null }] : []),
  ...(m.acc_norm !== undefined
    ? [{ task, metric: "acc_norm", value: m.acc_norm, stderr: m.acc_norm_stderr ?? null }]
    : []),
  ...(m.ppl !== undefined ? [{ task, metric: "ppl", value: m.ppl, stderr: null }] : []),
];

const num = (x: number, metric: string) =>
  !Number.isFinite(x) ? String(x) : metric === "ppl" ? x.toFixed(2) : x.toFixed(4);
const err = (x: number | null) => (x === null ? "" : Number.isFinite(x) ? `± ${x.toFixed(4)}` : "± –");

/** An aligned plain-text table, one line per task and metric. */
export const resultsTable = (r: TaskResults): string => {
  const lines = [["task", "metric", "value", "± stderr", "n"]];
  for (const [task, m] of Object.entries(r)) {
    for (const row of rowsOf(task, m)) {
      lines.push([task, row.metric, num(row.value, row.metric), err(row.stderr), `${m.n}`]);
    }
  }
  const w = lines[0]!.map((_, c) => Math.max(...lines.map((l) => l[c]!.length)));
  return lines.map((l) => l.map((cell, c) => (c >= 2 ? cell.padStart(w[c]!) : cell.padEnd(w[c]!))).join("  ").trimEnd())
    .join("\n") + "\n";
};

/** The headline metric of a task's results: acc_norm when present, else acc (null for none). */
export const headline = (m: TaskMetrics): { metric: string; value: number; stderr: number } | null =>
  m.acc_norm !== undefined
    ? { metric: "acc_norm", value: m.acc_norm, stderr: m.acc_norm_stderr ?? NaN }
    : m.acc !== undefined
    ? { metric: "acc", value: m.acc, stderr: m.acc_stderr ?? NaN }
    : null;

/** A Markdown table: a row per task and metric, a column per model ("value ± stderr"). */
export const resultsMarkdown = (models: ReadonlyArray<ModelResults>): string => {
  const tasks = [...new Set(models.flatMap((m) => Object.keys(m.results)))];
  const lines = [
    `| task | metric | n | ${models.map((m) => m.name).join(" | ")} |`,
    `| --- | --- | ---: | ${models.map(() => "---:").join(" | ")} |`,
  ];
  for (const task of tasks) {
    const first = models.map((m) => m.results[task]).find((x) => x !== undefined)!;
    for (const row of rowsOf(task, first)) {
      const cells = models.map((m) => {
        const r = m.results[task] === undefined
          ? undefined
          : rowsOf(task, m.results[task]!).find((x) => x.metric === row.metric);
        return r === undefined ? "–" : `${num(r.value, r.metric)} ${err(r.stderr)}`.trim();
      });
      lines.push(`| ${task} | ${row.metric} | ${first.n} | ${cells.join(" | ")} |`);
    }
  }
  return lines.join("\n") + "\n";
};
