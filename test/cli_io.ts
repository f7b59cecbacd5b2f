/**
 * A recording Io for running the CLI program in-process: what it prints is kept, nothing exits.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { fileURLToPath } from "node:url";
import { deviceError } from "../adapters/devices/webgpu_device.ts";
import type { Io } from "../cli/io.ts";
import { main } from "../cli/main.ts";

export const runCli = async (argv: ReadonlyArray<string>) => {
  let out = "", err = "";
  const io: Io = {
    out: (s) => void (out += s),
    err: (s) => void (err += s),
    now: () => 0,
    getDevice: () => async () => E.left(deviceError("NoAdapter", "Cannot get a WebGPU adapter: none in this test")),
    assets: fileURLToPath(new URL("../assets/", import.meta.url)),
    isTTY: false,
    runtime: { name: "Node", version: "test", webgpu: "Dawn" },
    // a machine with nothing to install, so no install note joins the no-adapter note
    facts: async () => ({ platform: "test", debian: false, packages: undefined }),
    self: () => ({ present: false, name: "Node", why: "in-process test" }),
    peer: () => ({ present: false, name: "Deno", why: "in-process test" }),
  };
  const code = await main(argv, io);
  return { code, out, err };
};
