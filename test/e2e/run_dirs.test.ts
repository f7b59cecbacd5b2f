/**
 * A run directory wherever a model is (adapters/train/run_dir.ts): after a short CPU run, `eval <run>` scores
 * its model/ exactly as `eval <run>/model` does, `--checkpoint` scores the last checkpoint (the same weights at
 * the end of a run), `inspect <run>` adds the run's settings and progress, a run stopped before its end is
 * refused without --checkpoint with one line saying so, and --checkpoint on a plain model is one error line.
 * @module
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { STORIES_BIN, TINYSTORIES_TEXT } from "../assets.ts";
import { runCli } from "../cli_io.ts";
import { freshDir } from "../tmp.ts";

const excerpt = (() => {
  const p = join(freshDir(), "stories.txt");
  writeFileSync(p, readFileSync(TINYSTORIES_TEXT, "utf8").split(/\n\s*\n/).slice(0, 200).join("\n\n") + "\n");
  return p;
})();
const cpu = ["--backend", "cpu", "--json"];
const evalLoss = async (...args: string[]) => {
  const r = await runCli(["eval", ...args, "--data", excerpt, "--ctx", "64", "--batch", "4", ...cpu]);
  expect(r.err).toBe("");
  return JSON.parse(r.out).loss as number;
};

describe("a run directory as a model", () => {
  test("eval, --checkpoint and inspect take the run; an unfinished run needs --checkpoint", async () => {
    const run = join(freshDir(), "run");
    const t = await runCli([
      "train",
      STORIES_BIN,
      "--layers",
      "2",
      "--data",
      excerpt,
      "--out",
      run,
      "--steps",
      "2",
      "--batch",
      "4",
      "--ctx",
      "64",
      ...cpu,
    ]);
    expect(t.err).toBe("");
    const viaModel = await evalLoss(join(run, "model"));
    expect(await evalLoss(run)).toBe(viaModel);
    expect(await evalLoss(run, "--checkpoint")).toBe(viaModel); // the last checkpoint holds the final weights
    const i = await runCli(["inspect", run, "--json"]);
    expect(JSON.parse(i.out)).toMatchObject({
      n_layer: 2,
      run: { step: 2, steps: 2, finished: true, settings: { batch: 4, ctx: 64 } },
    });
    rmSync(join(run, "model"), { recursive: true });
    const refused = await runCli(["eval", run, "--data", excerpt, ...cpu]);
    expect(refused.code).not.toBe(0);
    expect(refused.err.split("\n")[0]).toMatch(/has a checkpoint but no model\/ yet/);
    expect(await evalLoss(run, "--checkpoint")).toBe(viaModel);
    const plain = await runCli(["eval", STORIES_BIN, "--checkpoint", "--data", excerpt, ...cpu]);
    expect(plain.err.split("\n")[0]).toMatch(/^error: Cannot use --checkpoint with .*: it is not a run directory/);
  });
});
