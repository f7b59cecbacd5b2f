/**
 * Node entry point (bundled by esbuild into dist/inheritune.mjs): wires stdout, stderr and the
 * Dawn-backed WebGPU device into the shared program, then exits with its code.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { appError } from "../core/errors.ts";
import type { Io } from "./io.ts";
import { main } from "./main.ts";

const io: Io = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  now: () => Date.now(),
  getDevice: () => async () => E.left(appError("NoDevice", "Cannot get a WebGPU device: not wired yet", "use --backend cpu")),
};

process.exitCode = await main(process.argv.slice(2), io);
