/**
 * One CLI command as a child process, timed, with its peak resident memory (bench/rss.mjs reports the
 * child's own maxRSS on file descriptor 3): what `inspect`, `inherit`, `analyze` and `tokenize` cost a
 * user at real scale, not what they cost inside the bench's own process.
 * @module
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface ProcessMeasure {
  readonly command: string;
  readonly seconds: number;
  readonly max_rss_bytes: number | null;
  readonly exit_code: number | null;
  /** The last line the command wrote to stderr when it failed (its error line). */
  readonly error?: string;
  readonly stdout: string;
}

const RSS_SCRIPT = fileURLToPath(new URL("../bench/rss.mjs", import.meta.url));

/**
 * Runs `node <cli> ...args` under bench/rss.mjs; never rejects, a failure is in exit_code and error. Past
 * `timeoutMs` the child is killed and its error says so.
 */
export const measureProcess = (
  cli: string,
  args: ReadonlyArray<string>,
  timeoutMs = 30 * 60_000,
): Promise<ProcessMeasure> =>
  new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [RSS_SCRIPT, cli, ...args], { stdio: ["ignore", "pipe", "pipe", "pipe"] });
    let late = false;
    const timer = setTimeout(() => ((late = true), child.kill("SIGKILL")), timeoutMs);
    let out = "", err = "", rss = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    (child.stdio[3] as NodeJS.ReadableStream).on("data", (d: Buffer) => (rss += d.toString()));
    child.on("close", (code) => {
      clearTimeout(timer);
      if (late) err += `\nerror: did not finish within ${(timeoutMs / 1000).toFixed(0)} s`;
      const lines = err.trim().split("\n").filter((l) => l.startsWith("error:"));
      resolve({
        command: ["inheritune", ...args].join(" "),
        seconds: (performance.now() - t0) / 1000,
        max_rss_bytes: rss === "" ? null : Number(rss),
        exit_code: code,
        ...(code === 0 ? {} : { error: (late ? lines.at(-1) : lines[0]) ?? err.trim().split("\n").at(-1) ?? "" }),
        stdout: out,
      });
    });
  });
