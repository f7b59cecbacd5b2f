/**
 * Node entry point (bundled by esbuild into dist/inheritune.mjs): wires stdout, stderr and the
 * Dawn-backed WebGPU device into the shared program, then exits with its code.
 * @module
 */
import { getNodeDevice } from "../adapters/webgpu_node.ts";
import type { Io } from "./io.ts";
import { main } from "./main.ts";

const io: Io = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  now: () => Date.now(),
  getDevice: () => getNodeDevice(),
};

process.exitCode = await main(process.argv.slice(2), io);
