/**
 * Crash safety: `train` (the Node bundle, and every third time Deno; WebGPU) killed with SIGKILL again and again, at seeded
 * random moments and the instant a checkpoint's temporary file appears (so mid-write); after every
 * kill the --out directory holds a complete checkpoint that loads, and the run continued with
 * --resume after the last kill ends with the model, byte for byte, and the metrics of an
 * uninterrupted run with the same seed, with no temporary file left behind.
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, watch } from "node:fs";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { expect, test } from "vitest";
import { CHECKPOINT_FILE, loadCheckpoint } from "../../adapters/train/checkpoint.ts";
import { STORIES_BIN, TINYSTORIES_TEXT } from "../assets.ts";
import { DENO, NODE_CLI, nodeCli, ROOT } from "../runtimes.ts";
import { freshDir } from "../tmp.ts";
import { lcg } from "../training_fixtures.ts";
import { withoutTimings } from "../../adapters/train/settings.ts";

const BASE = [
  "train",
  STORIES_BIN,
  "--layers",
  "2",
  "--data",
  TINYSTORIES_TEXT,
  "--tokens",
  "8k",
  "--batch",
  "2",
  "--ctx",
  "64",
  "--eval-every",
  "2",
  "--eval-tokens",
  "1k",
  "--seed",
  "3",
  "--backend",
  "webgpu",
  "--json",
];
const KILLS = 6;

type Moment = { readonly _tag: "after"; readonly ms: number } | {
  readonly _tag: "checkpointWrite";
  readonly nth: number;
};

/** The command line of train under a runtime: the Node bundle, or cli/deno.ts under Deno (the two agree bit for bit). */
const command = (runtime: "node" | "deno", args: ReadonlyArray<string>): [string, string[]] =>
  runtime === "node"
    ? [process.execPath, [NODE_CLI, ...args]]
    : [DENO, ["run", "--allow-all", "--unstable-webgpu", "cli/deno.ts", ...args]];

/** Starts train and SIGKILLs it at the moment; resolves with whether the kill landed (false: it exited first). */
const killAt = (runtime: "node" | "deno", out: string, resume: boolean, at: Moment) =>
  new Promise<boolean>((resolve) => {
    const p: ChildProcess = spawn(...command(runtime, [...BASE, "--out", out, ...(resume ? ["--resume"] : [])]), {
      cwd: ROOT,
      stdio: "ignore",
    });
    let killed = false;
    const kill = () => {
      if (!killed) killed = p.kill("SIGKILL");
    };
    const temps = new Set<string>(); // each write's temporary file, by name (inotify reports it several times)
    const watcher = watch(out, (_, f) => {
      if (
        at._tag === "checkpointWrite" && String(f).startsWith(`${CHECKPOINT_FILE}.tmp-`) &&
        temps.add(String(f)).size === at.nth
      ) kill();
    });
    const timer = at._tag === "after" ? setTimeout(kill, at.ms) : undefined;
    p.on("exit", (_, signal) => {
      clearTimeout(timer);
      watcher.close();
      resolve(signal === "SIGKILL");
    });
  });

const temps = (out: string) => readdirSync(out).filter((f) => f.startsWith(`${CHECKPOINT_FILE}.tmp-`));
const metrics = (out: string) =>
  readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => withoutTimings(JSON.parse(l)));

test(
  `train killed ${KILLS} times under Node and Deno (mid-checkpoint and at random) always leaves a complete checkpoint; --resume ends bit for bit at the uninterrupted run`,
  async () => {
    const whole = join(freshDir(), "run"), cut = join(freshDir(), "run");
    const straight = await nodeCli([...BASE, "--out", whole]);
    expect(straight.code, straight.stderr).toBe(0);
    mkdirSync(cut);
    const rand = lcg(42),
      survived: Array<{ runtime: string; moment: string; midWrite: boolean; step: number | null }> = [];
    for (let k = 0; k < KILLS; k++) {
      const at: Moment = k % 2 === 0
        ? { _tag: "checkpointWrite", nth: 2 + Math.floor(rand() * 4) }
        : { _tag: "after", ms: 2000 + Math.floor(rand() * 4000) };
      const resume = existsSync(join(cut, CHECKPOINT_FILE)), before = new Set(temps(cut)); // a killed run's temporaries stay until the next start removes them
      const runtime = k % 3 === 2 ? "deno" : "node";
      if (!(await killAt(runtime, cut, resume, at))) break; // it finished before the moment came
      const midWrite = temps(cut).some((f) => !before.has(f));
      const ck = existsSync(join(cut, CHECKPOINT_FILE))
        ? await loadCheckpoint(join(cut, CHECKPOINT_FILE))()
        : undefined;
      if (ck !== undefined && E.isLeft(ck)) throw new Error(`after kill ${k + 1}: ${ck.left.message}`);
      survived.push({
        runtime,
        moment: at._tag === "after" ? `${at.ms} ms` : `checkpoint write ${at.nth}`,
        midWrite,
        step: ck?.right.progress.step ?? null,
      });
    }
    console.log(
      `kills survived: ${survived.length} (${survived.filter((s) => s.midWrite).length} mid checkpoint write): ` +
        survived.map((s) =>
          `${s.runtime} at ${s.moment}${s.midWrite ? " (mid-write)" : ""} → checkpoint step ${s.step ?? "none"}`
        ).join("; "),
    );
    expect(survived.length).toBeGreaterThanOrEqual(KILLS - 1);
    expect(survived.some((s) => s.midWrite)).toBe(true);
    const last = await nodeCli([...BASE, "--out", cut, "--resume"]);
    expect(last.code, last.stderr).toBe(0);
    expect(
      Buffer.compare(
        readFileSync(join(cut, "model", "model.safetensors")),
        readFileSync(join(whole, "model", "model.safetensors")),
      ),
    ).toBe(0);
    expect(metrics(cut)).toEqual(metrics(whole));
    expect(readdirSync(cut).filter((f) => f.includes(".tmp-"))).toEqual([]);
  },
  300_000,
);
