/**
 * Running the real entry points as a user would: the esbuild bundle under Node, and cli/deno.ts
 * under the Deno binary that the `deno` npm package installs.
 * @module
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const DENO = `${ROOT}node_modules/deno/deno`;
export const NODE_CLI = `${ROOT}dist/inheritune.mjs`;

export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** This process's environment with `changes` made: a value replaces, undefined removes. */
const envWith = (changes: Readonly<Record<string, string | undefined>>) => {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", ...changes };
  for (const [k, v] of Object.entries(changes)) if (v === undefined) delete env[k];
  return env;
};

/**
 * A process as a user runs it, in this environment with `env`'s changes; 10 minutes at most (a first run on a cold
 * shader cache compiles every kernel).
 */
export const runFile = (
  file: string,
  args: ReadonlyArray<string>,
  timeoutMs = 600_000,
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<Ran> =>
  new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { cwd: ROOT, timeout: timeoutMs, maxBuffer: 64 << 20, env: envWith(env) },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr }),
    );
  });

export const nodeCli = (args: ReadonlyArray<string>, env: Readonly<Record<string, string | undefined>> = {}) =>
  runFile(process.execPath, [NODE_CLI, ...args], 600_000, env);
export const denoCli = (args: ReadonlyArray<string>) =>
  runFile(DENO, ["run", "--allow-all", "--unstable-webgpu", "cli/deno.ts", ...args]);
export const denoTask = (args: ReadonlyArray<string>) => runFile(DENO, ["task", ...args]);
export const buildNodeCli = () => runFile(process.execPath, ["scripts/build.mjs"]);
