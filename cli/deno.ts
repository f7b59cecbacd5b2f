/**
 * Deno entry point (`deno task cli …`): wires Deno's stdout, stderr and navigator.gpu into the
 * shared program, then exits with its code.
 * @module
 */
import { getDenoDevice } from "../adapters/devices/webgpu_deno.ts";
import { systemFacts } from "../adapters/devices/system_probe.ts";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Io } from "./io.ts";
import { main } from "./main.ts";

const enc = new TextEncoder();
const writeAll = (w: { writeSync(p: Uint8Array): number }, s: string) => {
  let b = enc.encode(s);
  while (b.length > 0) b = b.subarray(w.writeSync(b));
};

const root = fileURLToPath(new URL("../", import.meta.url)), bundle = `${root}dist/inheritune.mjs`;

const io: Io = {
  out: (s) => writeAll(Deno.stdout, s),
  err: (s) => writeAll(Deno.stderr, s),
  now: () => Date.now(),
  getDevice: () => getDenoDevice(),
  assets: `${root}assets/`,
  isTTY: Deno.stdout.isTerminal() && Deno.stderr.isTerminal(),
  runtime: { name: "Deno", version: Deno.version.deno, webgpu: "wgpu" },
  facts: systemFacts,
  self: () => ({
    present: true,
    name: "Deno",
    argv: [Deno.execPath(), "run", "--allow-all", fileURLToPath(import.meta.url)],
  }),
  peer: () =>
    existsSync(bundle)
      ? { present: true, name: "Node", argv: ["node", bundle] }
      : { present: false, name: "Node", why: `${bundle} is not built (npm run build)` },
};

Deno.exit(await main(Deno.args, io));
