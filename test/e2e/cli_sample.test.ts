import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { STORIES_BIN, STORIES_GOLDEN, STORIES_TOK } from "../assets.ts";
import { runCli } from "../cli_io.ts";

const oneErrorLine = (err: string) => {
  const lines = err.trimEnd().split("\n");
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/^error: Cannot /);
  expect(lines[1]).toMatch(/^---> HINT: /);
};

describe("inheritune sample", () => {
  test("greedy sampling of the bundled stories260K prints run.c's golden text", async () => {
    const r = await runCli([
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
    ]);
    expect(r).toEqual({ code: 0, out: readFileSync(STORIES_GOLDEN, "utf8"), err: "" });
  });
  test("without --backend and without an adapter, it says so on stderr and samples on the CPU", async () => {
    const r = await runCli(["sample", STORIES_BIN, "--temperature", "0", "--max-new-tokens", "5"]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(
      /^note: Node test \+ Dawn has no WebGPU adapter \(Cannot get a WebGPU adapter: none in this test\); computing on the CPU reference\n$/,
    );
    expect(r.out).toMatch(/^Once upon a time/);
  });
  test("--backend webgpu without an adapter is an error that names the Mesa package", async () => {
    const r = await runCli(["sample", STORIES_BIN, "--backend", "webgpu"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/mesa-vulkan-drivers/);
  });
  test("the tokenizer beside the model is found without --tokenizer, and a prompt is echoed first", async () => {
    const r = await runCli([
      "sample",
      STORIES_BIN,
      "--prompt",
      "Once upon a time",
      "--temperature",
      "0",
      "--max-new-tokens",
      "11",
      "--backend",
      "cpu",
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Once upon a time, there was a little girl named Lily\.\n$/);
  });
  test("the same seed gives the same sample, another seed usually another", async () => {
    const args = ["sample", STORIES_BIN, "--max-new-tokens", "30", "--temperature", "1", "--backend", "cpu"];
    const a = await runCli([...args, "--seed", "1"]),
      b = await runCli([...args, "--seed", "1"]),
      c = await runCli([...args, "--seed", "2"]);
    expect(a.out).toBe(b.out);
    expect(a.out).not.toBe(c.out);
  });
});

describe("bad input to sample: one clear line and a hint, non-zero exit", () => {
  const dir = mkdtempSync(join(tmpdir(), "inheritune-"));
  test("a missing model file", async () => {
    const r = await runCli(["sample", join(dir, "none.bin")]);
    expect(r.code).toBe(1);
    oneErrorLine(r.err);
    expect(r.err).toMatch(/no such file/);
  });
  test("a truncated checkpoint", async () => {
    const f = join(dir, "cut.bin");
    writeFileSync(f, readFileSync(STORIES_BIN).subarray(0, 1000));
    const r = await runCli(["sample", f, "--tokenizer", STORIES_TOK]);
    expect(r.code).toBe(1);
    oneErrorLine(r.err);
    expect(r.err).toMatch(/implies 1056540 bytes but the file has 1000/);
  });
  test("a directory whose config.json has an unknown model_type", async () => {
    writeFileSync(join(dir, "config.json"), JSON.stringify({ model_type: "bloom" }));
    const r = await runCli(["sample", dir]);
    expect(r.code).toBe(1);
    oneErrorLine(r.err);
    expect(r.err).toMatch(/unknown model_type "bloom"/);
  });
  test("an unknown flag, a bad value, a missing model and an unknown command", async () => {
    for (
      const argv of [
        ["sample", STORIES_BIN, "--temp", "0"],
        ["sample", STORIES_BIN, "--temperature", "-1"],
        ["sample"],
        ["smaple"],
      ]
    ) {
      const r = await runCli(argv);
      expect(r.code).toBe(2);
      oneErrorLine(r.err);
    }
  });
  test("a model without a tokenizer beside it asks for --tokenizer", async () => {
    const f = join(dir, "lonely.bin");
    writeFileSync(f, readFileSync(STORIES_BIN));
    const r = await runCli(["sample", f]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--tokenizer/);
  });
});
