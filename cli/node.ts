/**
 * Node entry point (bundled by esbuild into dist/inheritune.mjs): wires stdout, stderr and the
 * Dawn-backed WebGPU device into the shared program, then exits with its code.
 * @module
 */
import { getNodeDevice } from "../adapters/devices/webgpu_node.ts";
import { fileURLToPath } from "node:url";
import type { Io } from "./io.ts";
import { main } from "./main.ts";

const io: Io = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  now: () => Date.now(),
  getDevice: () => getNodeDevice(),
  // dist/inheritune.mjs and cli/deno.ts both sit one folder below the project root.
  assets: fileURLToPath(new URL("../assets/", import.meta.url)),
  isTTY: process.stdout.isTTY === true,
};

process.exitCode = await main(process.argv.slice(2), io);
