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

/** A process as a user runs it; 10 minutes at most (a first run on a cold shader cache compiles every kernel). */
export const runFile = (file: string, args: ReadonlyArray<string>, timeoutMs = 600_000): Promise<Ran> =>
  new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { cwd: ROOT, timeout: timeoutMs, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: "1" } },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr }),
    );
  });

export const nodeCli = (args: ReadonlyArray<string>) => runFile(process.execPath, [NODE_CLI, ...args]);
export const denoCli = (args: ReadonlyArray<string>) =>
  runFile(DENO, ["run", "--allow-all", "--unstable-webgpu", "cli/deno.ts", ...args]);
export const denoTask = (args: ReadonlyArray<string>) => runFile(DENO, ["task", ...args]);
export const buildNodeCli = () => runFile(process.execPath, ["scripts/build.mjs"]);
