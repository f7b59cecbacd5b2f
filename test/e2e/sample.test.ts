import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { STORIES_BIN, STORIES_GOLDEN, STORIES_TOK } from "../assets.ts";
import { denoCli, denoTask, nodeCli } from "../runtimes.ts";

const golden = readFileSync(STORIES_GOLDEN, "utf8");
const greedy = [
  "sample",
  STORIES_BIN,
  "--tokenizer",
  STORIES_TOK,
  "--temperature",
  "0",
  "--max-new-tokens",
  "256",
  "--backend",
  "cpu",
];
const onGpu = [...greedy.slice(0, -1), "webgpu"];
// Dawn prints these two lines each time it lists its adapters; they are not ours.
const ours = (stderr: string) =>
  stderr.split("\n").filter((l) => l !== "" && !/^Warning: maxDynamic\w+ artificially reduced/.test(l));
// The line every computing command starts with (adapters/devices/adapter_line.ts).
const DEVICE_LINE =
  /^device: (Node v[\d.]+ \+ Dawn|Deno [\d.]+ \+ wgpu) · .+ adapter(, \d+-bit vectors)? · kernels \w+ · binding \d+ MiB, buffer/;

describe("sample through both runtimes' entry points", () => {
  test("the esbuild bundle under Node prints the golden text", async () => {
    expect(await nodeCli(greedy)).toEqual({ code: 0, stdout: golden, stderr: "" });
  });
  test("cli/deno.ts under Deno prints the golden text", async () => {
    const r = await denoCli(greedy);
    expect(r.stdout).toBe(golden);
    expect(r.code).toBe(0);
  });
  test("`deno task cli` runs the same program", async () => {
    const r = await denoTask(["cli", ...greedy]);
    expect(r.stdout).toBe(golden);
  });
  test("--backend webgpu prints the golden text under Node (Dawn) and under Deno (wgpu)", async () => {
    for (const run of [nodeCli, denoCli]) {
      const r = await run(onGpu);
      expect(ours(r.stderr)).toEqual([expect.stringMatching(DEVICE_LINE)]);
      expect(r.stdout).toBe(golden);
      expect(r.code).toBe(0);
    }
  });
  test("the central property holds under Deno's WebGPU too (deno task test)", async () => {
    const r = await denoTask(["test"]);
    expect(r.stdout).toMatch(
      /ok: \d+ random references, every inherited block and the early exit bit for bit under Deno/,
    );
    expect(r.code).toBe(0);
  });
  test("bad input exits non-zero with one error line under both runtimes", async () => {
    for (const run of [nodeCli, denoCli]) {
      const r = await run(["sample", "no/such/model.bin"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^error: Cannot load model no\/such\/model\.bin: no such file\n---> HINT: check the path\n$/,
      );
    }
  });
});
