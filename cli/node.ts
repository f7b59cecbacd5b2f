/**
 * Node entry point (bundled by esbuild into dist/inheritune.mjs): wires stdout, stderr and the
 * Dawn-backed WebGPU device into the shared program, then exits with its code.
 * @module
 */
import { getNodeDevice } from "../adapters/devices/webgpu_node.ts";
import { systemFacts } from "../adapters/devices/system_probe.ts";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Io } from "./io.ts";
import { main } from "./main.ts";

// dist/inheritune.mjs and cli/deno.ts both sit one folder below the project root.
const root = fileURLToPath(new URL("../", import.meta.url));
const deno = `${root}node_modules/deno/deno`, denoCli = `${root}cli/deno.ts`;

const io: Io = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  now: () => Date.now(),
  getDevice: () => getNodeDevice(),
  assets: `${root}assets/`,
  isTTY: process.stdout.isTTY === true && process.stderr.isTTY === true,
  runtime: { name: "Node", version: process.version, webgpu: "Dawn" },
  facts: systemFacts,
  self: () => ({ present: true, name: "Node", argv: [process.execPath, fileURLToPath(import.meta.url)] }),
  peer: () =>
    existsSync(deno) && existsSync(denoCli)
      ? { present: true, name: "Deno", argv: [deno, "run", "--allow-all", denoCli] }
      : { present: false, name: "Deno", why: `no ${existsSync(deno) ? denoCli : deno} (npm ci installs Deno)` },
};

process.exitCode = await main(process.argv.slice(2), io);
