/**
 * Deno entry point (`deno task cli …`): wires Deno's stdout, stderr and navigator.gpu into the
 * shared program, then exits with its code.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { appError } from "../core/errors.ts";
import type { Io } from "./io.ts";
import { main } from "./main.ts";

const enc = new TextEncoder();
const writeAll = (w: { writeSync(p: Uint8Array): number }, s: string) => {
  let b = enc.encode(s);
  while (b.length > 0) b = b.subarray(w.writeSync(b));
};

const io: Io = {
  out: (s) => writeAll(Deno.stdout, s),
  err: (s) => writeAll(Deno.stderr, s),
  now: () => Date.now(),
  getDevice: () => async () => E.left(appError("NoDevice", "Cannot get a WebGPU device: not wired yet", "use --backend cpu")),
};

Deno.exit(await main(Deno.args, io));
