/**
 * Ctrl-C during `train` (SIGINT to the Node bundle): a checkpoint is written, the process exits
 * non-zero with one error line naming the step, and `--resume` with the same flags finishes the
 * run from that step, ending with the weights of an uninterrupted run.
 * @module
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { STORIES_BIN, TINYSTORIES_TEXT } from "../assets.ts";
import { NODE_CLI, nodeCli, ROOT } from "../runtimes.ts";
import { freshDir } from "../tmp.ts";

/** Runs train and sends SIGINT once `steps` metrics lines have been printed. */
const interruptAfter = (args: ReadonlyArray<string>, steps: number) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, [NODE_CLI, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "", stderr = "", sent = false;
    p.stdout.on("data", (d) => {
      stdout += d;
      if (!sent && stdout.split("\n").filter((l) => l.includes('"step"')).length > steps) {
        sent = true;
        p.kill("SIGINT");
      }
    });
    p.stderr.on("data", (d) => (stderr += d));
    p.on("close", (code) => resolve({ code, stdout, stderr }));
  });

test("SIGINT during train saves a checkpoint and exits non-zero; --resume continues to the uninterrupted run's weights", async () => {
  const base = [
    "train",
    STORIES_BIN,
    "--layers",
    "2",
    "--data",
    TINYSTORIES_TEXT,
    "--tokens",
    "4k",
    "--batch",
    "2",
    "--ctx",
    "64",
    "--eval-every",
    "0",
    "--eval-tokens",
    "1k",
    "--backend",
    "webgpu",
    "--json",
  ];
  const cut = join(freshDir(), "run"), whole = join(freshDir(), "run");
  const r = await interruptAfter([...base, "--out", cut], 3);
  expect(r.code).toBe(1);
  const err = r.stderr.split("\n").filter((l) =>
    l !== "" && !l.startsWith("Warning: maxDynamic") && !l.startsWith("device: ")
  );
  expect(err[0]).toMatch(/^error: Cannot finish training: interrupted after step (\d+) of 32$/);
  const step = Number(/after step (\d+)/.exec(err[0]!)![1]);
  const resumed = await nodeCli([...base, "--out", cut, "--resume"]);
  expect(resumed.code, resumed.stderr).toBe(0);
  const summary = JSON.parse(resumed.stdout.trim().split("\n").pop()!);
  expect(summary).toMatchObject({ steps: 32, resumed_from: step });
  const straight = await nodeCli([...base, "--out", whole]);
  expect(straight.code, straight.stderr).toBe(0);
  const a = readFileSync(join(cut, "model", "model.safetensors")),
    b = readFileSync(join(whole, "model", "model.safetensors"));
  expect(Buffer.compare(a, b)).toBe(0);
});
