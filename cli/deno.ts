/**
 * Deno entry point (`deno task cli …`): wires Deno's stdout, stderr and navigator.gpu into the
 * shared program, then exits with its code.
 * @module
 */
import { getDenoDevice } from "../adapters/devices/webgpu_deno.ts";
import { fileURLToPath } from "node:url";
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
  getDevice: () => getDenoDevice(),
  assets: fileURLToPath(new URL("../assets/", import.meta.url)),
  isTTY: Deno.stdout.isTerminal(),
};

Deno.exit(await main(Deno.args, io));
