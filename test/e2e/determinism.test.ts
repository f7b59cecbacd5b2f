/**
 * Determinism: the same seed gives the same loss curve, bit for bit (metrics.jsonl without the
 * timing column; JSON prints the shortest text that reads back as the same double), twice under the
 * Node bundle (Dawn) and twice under Deno (wgpu) on the same adapter, and the two runtimes agree
 * with each other (same WGSL, same adapter, same order of work). And lavapipe's vector width, which the Node
 * adapter chooses (adapters/devices/vector_width.ts; the suite pins 256 bits, vitest.config.ts): on an AVX-512 host
 * the CLI left to choose says 512-bit vectors and the lanes16 kernels, and gives the curve of 256 bits (lanes); on
 * any other host the width stays 256. One of those two tests runs on a given host; the other is reported skipped.
 * @module
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { STORIES_BIN, TINYSTORIES_TEXT } from "../assets.ts";
import { denoCli, nodeCli } from "../runtimes.ts";
import { freshDir } from "../tmp.ts";
import { withoutTimings } from "../../adapters/train/settings.ts";
import { cpuFlags } from "../../adapters/devices/vector_width.ts";

const ARGS = [
  "train",
  STORIES_BIN,
  "--layers",
  "2",
  "--data",
  TINYSTORIES_TEXT,
  "--tokens",
  "2k",
  "--batch",
  "2",
  "--ctx",
  "64",
  "--eval-every",
  "4",
  "--eval-tokens",
  "1k",
  "--seed",
  "11",
  "--backend",
  "webgpu",
  "--json",
];

/** A run's loss curve as text (every metrics line without its timing fields) and its device line. */
const run = async (cli: typeof nodeCli, env: Readonly<Record<string, string | undefined>> = {}) => {
  const out = join(freshDir(), "run"), r = await cli([...ARGS, "--out", out], env);
  expect(r.code, r.stderr).toBe(0);
  const curve = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n")
    .map((l) => JSON.stringify(withoutTimings(JSON.parse(l)))).join("\n");
  return { curve, device: r.stderr.split("\n").find((l) => l.startsWith("device: ")) ?? "" };
};

const curve = async (cli: typeof nodeCli): Promise<string> => (await run(cli)).curve;

test(
  "the same seed gives the same loss curve bit for bit: twice under Node, twice under Deno, and Node and Deno agree",
  async () => {
    const [node1, deno1] = await Promise.all([curve(nodeCli), curve(denoCli)]);
    const [node2, deno2] = await Promise.all([curve(nodeCli), curve(denoCli)]);
    expect(node1.split("\n")).toHaveLength(17); // step 0 and 16 steps
    expect(node2).toBe(node1);
    expect(deno2).toBe(deno1);
    expect(deno1).toBe(node1);
  },
  300_000,
);

const wide = cpuFlags().has("avx512f"), CHOSEN = { LP_NATIVE_VECTOR_WIDTH: undefined };

test.skipIf(!wide)(
  "on an AVX-512 host lavapipe gets 512-bit vectors and the lanes16 kernels, which train the curve of 256 bits exactly",
  async () => {
    const chosen = await run(nodeCli, CHOSEN), narrow = await run(nodeCli, { LP_NATIVE_VECTOR_WIDTH: "256" });
    expect(chosen.device).toContain("512-bit vectors · kernels lanes16");
    expect(narrow.device).toContain("256-bit vectors · kernels lanes ");
    expect(chosen.curve.split("\n")).toHaveLength(17);
    expect(chosen.curve).toBe(narrow.curve);
  },
  600_000,
);

test.skipIf(wide)("on a host without AVX-512 lavapipe keeps its own 256-bit vectors", async () => {
  expect((await run(nodeCli, CHOSEN)).device).toContain("256-bit vectors · kernels lanes ");
}, 600_000);
