/**
 * The bundled tasks and task files (adapters/eval), and `eval --tasks` in-process on the CPU
 * reference: every bundled file decodes to its published row count; HellaSwag's brotli copy
 * decompresses to the text of the source README's sha256; a bad row is one error naming the file,
 * the line and the field; an unknown task name lists the known ones; stories260K's results print
 * as a table and as JSON, and the samples log has a line per document.
 * @module
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { BUNDLED_TASKS, bundledTasks, loadTask } from "../../../adapters/eval/bundled.ts";
import { loadTaskFile, readTaskText } from "../../../adapters/eval/task_files.ts";
import { runCli } from "../../cli_io.ts";
import { STORIES_BIN } from "../../assets.ts";
import { freshDir, right } from "../../tmp.ts";

const ASSETS = new URL("../../../assets/", import.meta.url).pathname;

describe("the bundled tasks", () => {
  test("each decodes to its published number of documents (assets/eval/README.md)", async () => {
    const counts: Record<string, number> = {};
    for (const t of right(bundledTasks(BUNDLED_TASKS.join(","), ASSETS))) {
      counts[t.name] = right(await loadTask(t)).length;
    }
    expect(counts).toEqual({
      arc_easy: 2376,
      arc_challenge: 1172,
      piqa: 1838,
      boolq: 3270,
      winogrande: 1267,
      lambada_openai: 5153,
      hellaswag: 10042,
    });
  });

  test("HellaSwag's brotli copy is klosax's text: sha256 d5725393…, first task 'Roof shingle removal', label 3", async () => {
    const text = right(await readTaskText(join(ASSETS, "eval", "hellaswag_val_full.txt.br")));
    expect(createHash("sha256").update(text, "utf8").digest("hex")).toBe(
      "d572539320eb2050e858ca34b495bbe2103e3b3f1391a9c3bcdf215b0bb93bd1",
    );
    const [first] = right(await loadTask(right(bundledTasks("hellaswag", ASSETS))[0]!, 1));
    expect(first!.gold).toBe(3);
    expect(first!.requests[3]).toEqual({
      context: "Roof shingle removal: A man is sitting on a roof. he",
      continuation: " starts pulling up roofing on a roof.",
    });
  });

  test("ARC's context is the query, a newline and 'Answer:'; PIQA's query ends in one already", async () => {
    const [arc] = right(await loadTask(right(bundledTasks("arc_easy", ASSETS))[0]!, 1));
    const [piqa] = right(await loadTask(right(bundledTasks("piqa", ASSETS))[0]!, 1));
    expect(arc!.requests[0]!.context).toBe(
      "Question: Which statement best explains why photosynthesis is the foundation of most food webs?\nAnswer:",
    );
    expect(piqa!.requests[0]!.context).toBe(
      "Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:",
    );
  });
});

describe("a bad task file is one error naming the file, the line and the field", () => {
  const dir = freshDir("inheritune-tasks-");
  const cases: ReadonlyArray<[string, "mc" | "partial" | "completion", string, RegExp]> = [
    ["not JSON", "mc", `{"query": "q", "choices": ["a", "b"], "gold": 0}\n{oops\n`, /line 2: not JSON/],
    ["a missing field", "mc", `{"query": "q", "choices": ["a", "b"]}\n`, /line 1: field gold: expected Int/],
    [
      "gold out of range",
      "mc",
      `{"query": "q", "choices": ["a", "b"], "gold": 2}\n`,
      /line 1: field gold: 2 is not an index/,
    ],
    ["one option", "partial", `{"context_options": ["a"], "continuation": "b", "gold": 0}\n`, /field context_options/],
    [
      "a number for text",
      "completion",
      `\n{"context": "a", "continuation": 3}\n`,
      /line 2: field continuation: expected string/,
    ],
    ["no rows", "completion", "\n", /no rows/],
  ];
  for (const [what, type, text, want] of cases) {
    test(`${what} (${type})`, async () => {
      const f = join(dir, `${type}.jsonl`);
      writeFileSync(f, text);
      const r = await loadTaskFile(f, type);
      expect(r._tag).toBe("Left");
      if (r._tag === "Left") {
        expect(r.left.message).toContain(`Cannot read task file ${f}`);
        expect(r.left.message).toMatch(want);
      }
    });
  }

  test("through the CLI: one error line and its hint, exit 1", async () => {
    const f = join(dir, "bad.jsonl");
    writeFileSync(f, `{"query": "q", "choices": ["a", "b"], "gold": "0"}\n`);
    const r = await runCli(["eval", STORIES_BIN, "--task-file", f, "--task-type", "mc", "--backend", "cpu"]);
    expect(r.code).toBe(1);
    expect(r.err.trim().split("\n")).toEqual([
      `error: Cannot read task file ${f}: line 1: field gold: expected Int, got "0"`,
      `---> HINT: each line is one JSON object {"query": string, "choices": [string, …], "gold": index}`,
    ]);
  });

  test("an unknown task name: one error listing the known tasks, exit 2", async () => {
    const r = await runCli(["eval", STORIES_BIN, "--tasks", "arc_easy,squad", "--backend", "cpu"]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toEqual([
      "error: Cannot evaluate on task squad: no such bundled task",
      `---> HINT: known tasks: ${BUNDLED_TASKS.join(", ")}`,
    ]);
  });
});

describe("inheritune eval --tasks on stories260K (CPU reference, first 2 documents of each task)", () => {
  const three = ["arc_easy", "winogrande", "lambada_openai"]; // one of each task type, short documents
  test("--json gives one object with the harness's metric names, and the samples log a line per document", async () => {
    const dir = freshDir("inheritune-samples-");
    const r = await runCli([
      "eval",
      STORIES_BIN,
      "--tasks",
      three.join(","),
      "--limit",
      "2",
      "--backend",
      "cpu",
      "--json",
      "--log-samples",
      dir,
    ]);
    expect(r.code, r.err).toBe(0);
    const o = JSON.parse(r.out) as { model: string; results: Record<string, Record<string, number>> };
    expect(o.model).toBe(STORIES_BIN);
    expect(Object.keys(o.results)).toEqual(three);
    expect(Object.keys(o.results.arc_easy!)).toEqual(["acc", "acc_stderr", "acc_norm", "acc_norm_stderr", "n"]);
    expect(Object.keys(o.results.winogrande!)).toEqual(["acc", "acc_stderr", "n"]);
    expect(Object.keys(o.results.lambada_openai!)).toEqual(["acc", "acc_stderr", "ppl", "n"]);
    const lines = readFileSync(join(dir, "samples_arc_easy.jsonl"), "utf8").trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    expect(lines.map((l) => l.doc)).toEqual([0, 1]);
    expect(lines[0].loglikelihoods).toHaveLength(4);
    expect(lines[0].is_greedy).toHaveLength(4);
    expect(lines.map((l) => l.gold)).toEqual([0, 1]);
    const acc = lines.filter((l) => l.pred === l.gold).length / 2;
    expect(o.results.arc_easy!.acc).toBe(acc);
    const lam = readFileSync(join(dir, "samples_lambada_openai.jsonl"), "utf8").trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    expect(o.results.lambada_openai!.ppl).toBeCloseTo(
      Math.exp(-(lam[0].loglikelihoods[0] + lam[1].loglikelihoods[0]) / 2),
      9,
    );
  });

  test("without --json, a table: task, metric, value, ± stderr, n", async () => {
    const r = await runCli(["eval", STORIES_BIN, "--tasks", "piqa,lambada_openai", "--limit", "2", "--backend", "cpu"]);
    expect(r.code, r.err).toBe(0);
    const rows = r.out.trim().split("\n").map((l) => l.split(/\s{2,}/));
    expect(rows[0]).toEqual(["task", "metric", "value", "± stderr", "n"]);
    expect(rows.slice(1).map((x) => [x[0], x[1]])).toEqual([
      ["piqa", "acc"],
      ["piqa", "acc_norm"],
      ["lambada_openai", "acc"],
      ["lambada_openai", "ppl"],
    ]);
  });
});
