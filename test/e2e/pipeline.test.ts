/**
 * The pipeline a user meets, through the Node bundle and through Deno, on lavapipe:
 * inherit → train → eval → sample give consistent files and exit codes, and --json parses.
 * Budgets are tiny (a few thousand tokens) so the two runtimes fit in the suite's time.
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { STORIES_BIN, TINYSTORIES_TEXT } from "../assets.ts";
import { denoCli, nodeCli, type Ran } from "../runtimes.ts";
import { freshDir } from "../tmp.ts";

const lastJson = (r: Ran) => JSON.parse(r.stdout.trim().split("\n").pop()!);
const small = ["--batch", "4", "--ctx", "64", "--eval-tokens", "2k", "--backend", "webgpu"];

describe.each([["Node", nodeCli], ["Deno", denoCli]] as const)("the pipeline under %s", (_, cli) => {
  test("inherit, train 6k tokens, eval and sample agree with each other", async () => {
    const dir = freshDir(), target = join(dir, "target"), run = join(dir, "run");
    const inh = await cli(["inherit", STORIES_BIN, "--layers", "3", "--out", target, "--json"]);
    expect(inh.code, inh.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(target, "config.json"), "utf8")).num_hidden_layers).toBe(3);

    const tr = await cli([
      "train",
      target,
      "--data",
      TINYSTORIES_TEXT,
      "--out",
      run,
      "--tokens",
      "6k",
      ...small,
      "--json",
    ]);
    expect(tr.code, tr.stderr).toBe(0);
    const lines = tr.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const summary = lines.pop();
    expect(summary).toMatchObject({ steps: 24, tokens: 6144, backend: "webgpu", out: run, model: join(run, "model") });
    expect(summary.val_loss).toBeLessThan(summary.val_loss_initial);
    const metrics = readFileSync(join(run, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(metrics).toEqual(lines);

    const ev = await cli([
      "eval",
      summary.model,
      "--data",
      TINYSTORIES_TEXT,
      "--ctx",
      "64",
      "--batch",
      "4",
      "--tokens",
      "2k",
      "--backend",
      "webgpu",
      "--json",
    ]);
    expect(ev.code, ev.stderr).toBe(0);
    const e = lastJson(ev);
    expect(e.loss).toBeCloseTo(summary.val_loss, 10); // the same windows of the same held-out split, the same kernels
    expect(e.perplexity).toBeCloseTo(Math.exp(e.loss), 10);

    const sa = await cli([
      "sample",
      summary.model,
      "--temperature",
      "0",
      "--max-new-tokens",
      "20",
      "--backend",
      "webgpu",
    ]);
    expect(sa.code, sa.stderr).toBe(0);
    expect(sa.stdout.length).toBeGreaterThan(20);
  });

  test("compare writes a report whose numbers are the runs' metrics, and an SVG that parses", async () => {
    const out = join(freshDir(), "cmp");
    const r = await cli([
      "compare",
      STORIES_BIN,
      "--layers",
      "3",
      "--data",
      TINYSTORIES_TEXT,
      "--tokens",
      "2k",
      "--out",
      out,
      ...small,
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
    expect(lastJson(r)).toEqual(report);
    for (const arm of report.arms) {
      const m = readFileSync(join(arm.out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
      expect(arm.valLoss).toBe(m[m.length - 1].val_loss);
      expect(arm.valLossInitial).toBe(m[0].val_loss);
      expect(arm.curve).toEqual(m.filter((x) => x.val_loss !== null).map((x) => [x.tokens, x.val_loss]));
    }
    const md = readFileSync(join(out, "report.md"), "utf8");
    expect(md).toContain(report.reference.valLoss.toFixed(4));
    for (const arm of report.arms) expect(md).toContain(arm.valLoss.toFixed(4));
    const { XMLValidator } = await import("fast-xml-parser");
    expect(XMLValidator.validate(readFileSync(join(out, "curves.svg"), "utf8"))).toBe(true);
    expect(existsSync(join(out, "scratch", "model", "config.json"))).toBe(true);
  });
});
