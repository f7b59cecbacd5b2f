/**
 * Determinism: the same seed gives the same loss curve, bit for bit (metrics.jsonl without the
 * timing column; JSON prints the shortest text that reads back as the same double), twice under the
 * Node bundle (Dawn) and twice under Deno (wgpu) on the same adapter, and the two runtimes agree
 * with each other (same WGSL, same adapter, same order of work).
 * @module
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { STORIES_BIN, TINYSTORIES_TEXT } from "../assets.ts";
import { denoCli, nodeCli } from "../runtimes.ts";
import { freshDir } from "../tmp.ts";
import { withoutTimings } from "../../adapters/train/settings.ts";

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

/** The run's loss curve as text: every metrics line without its timing fields. */
const curve = async (cli: typeof nodeCli): Promise<string> => {
  const out = join(freshDir(), "run"), r = await cli([...ARGS, "--out", out]);
  expect(r.code, r.stderr).toBe(0);
  return readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n")
    .map((l) => JSON.stringify(withoutTimings(JSON.parse(l)))).join("\n");
};

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
