/**
 * `sample` follows the model folder's conventions: a GPT-2 prompt is read without BOS and a Llama one
 * with `<s>` (what transformers' tokenizer gives each), generation stops at generation_config.json's
 * eos_token_id (one id or a list), and `--json` prints one object {prompt_ids, ids, text}. The models
 * are tiny random checkpoints in HF layout beside the real tokenizer files of assets/.
 */
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { saveHfModel } from "../../../adapters/formats/hf_checkpoint.ts";
import { initWeights } from "../../../core/model/init.ts";
import type { ModelSpec } from "../../../core/model/spec.ts";
import { runCli } from "../../cli_io.ts";
import { ROOT } from "../../runtimes.ts";
import { freshDir, right } from "../../tmp.ts";

const asset = (p: string) => join(ROOT, "assets", p);

/** A tiny random model of `spec` with the named tokenizer.json and tokenizer_config.json beside it. */
const tinyModel = async (spec: ModelSpec, tokenizer: string, config: string, ids: { bos: number; eos: number }) => {
  const dir = join(freshDir(), "model");
  right(await saveHfModel(dir, { spec, weights: initWeights(spec, 7), dtype: "F32", ...ids })());
  copyFileSync(asset(`tokenizers/${tokenizer}`), join(dir, "tokenizer.json"));
  copyFileSync(asset(`configs/${config}`), join(dir, "tokenizer_config.json"));
  return dir;
};

const GPT2: ModelSpec = {
  _tag: "gpt2",
  nLayer: 1,
  nEmbd: 8,
  nHead: 2,
  vocabSize: 50257,
  blockSize: 32,
  nInner: 16,
  normEps: 1e-5,
};
const LLAMA: ModelSpec = {
  _tag: "llama",
  nLayer: 1,
  nEmbd: 8,
  nHead: 2,
  nKvHead: 1,
  hiddenDim: 16,
  vocabSize: 32000,
  blockSize: 32,
  normEps: 1e-6,
  ropeTheta: 10000,
  ropeStyle: "half",
  tiedHead: true,
};

const sampleJson = async (dir: string, prompt: string, n = 4) => {
  const r = await runCli([
    "sample",
    dir,
    "--prompt",
    prompt,
    "--temperature",
    "0",
    "--max-new-tokens",
    String(n),
    "--backend",
    "cpu",
    "--json",
  ]);
  expect(r.code, r.err).toBe(0);
  expect(r.out.endsWith("\n") && r.out.trimEnd().split("\n")).toHaveLength(1); // exactly one JSON line
  return JSON.parse(r.out) as { prompt_ids: number[]; ids: number[]; text: string };
};

describe("sample reads a prompt as the model's tokenizer convention says", () => {
  test("a GPT-2 prompt gets no BOS: 'Hello world' is read as GPT-2's published [15496, 995]", async () => {
    const dir = await tinyModel(GPT2, "gpt2.tokenizer.json", "gpt2.tokenizer_config.json", { bos: 50256, eos: 50256 });
    const s = await sampleJson(dir, "Hello world");
    expect(s.prompt_ids).toEqual([15496, 995]);
    expect(s.ids.length).toBeGreaterThan(0);
    expect(s.ids.length).toBeLessThanOrEqual(4);
    const echo = await runCli(["sample", dir, "--prompt", "Hello world", "--temperature", "0", "--backend", "cpu"]);
    expect(echo.out.startsWith("Hello world")).toBe(true); // the first prompt token is echoed too
  });
  test("a TinyLlama prompt gets <s>: 'Hello world' is read as Llama 2's [1, 15043, 3186]", async () => {
    const dir = await tinyModel(
      LLAMA,
      "tinyllama-1.1b-chat-v0.6.tokenizer.json",
      "tinyllama-1.1b-chat-v0.6.tokenizer_config.json",
      {
        bos: 1,
        eos: 2,
      },
    );
    expect((await sampleJson(dir, "Hello world")).prompt_ids).toEqual([1, 15043, 3186]);
  });
  test("an empty prompt starts from BOS alone, as transformers' generate without input does", async () => {
    const dir = await tinyModel(GPT2, "gpt2.tokenizer.json", "gpt2.tokenizer_config.json", { bos: 50256, eos: 50256 });
    expect((await sampleJson(dir, "")).prompt_ids).toEqual([50256]);
  });
});

describe("sample --json and stopping", () => {
  test("text is the generated ids' text alone, and generation stops at any of generation_config's eos ids", async () => {
    const dir = await tinyModel(GPT2, "gpt2.tokenizer.json", "gpt2.tokenizer_config.json", { bos: 50256, eos: 50256 });
    const free = await sampleJson(dir, "Once upon a time", 3);
    expect(free.ids).toHaveLength(3);
    const again = await runCli([
      "sample",
      dir,
      "--prompt",
      "Once upon a time",
      "--temperature",
      "0",
      "--max-new-tokens",
      "3",
      "--backend",
      "cpu",
    ]);
    expect(again.out).toBe(`Once upon a time${free.text}\n`); // the streamed text is the prompt then the JSON's text
    // the greedy ids are fixed, so naming the last as an EOS (in a list, as Qwen2.5 Instruct does) stops before
    // its first appearance
    const last = free.ids.at(-1)!;
    writeFileSync(join(dir, "generation_config.json"), JSON.stringify({ eos_token_id: [50256, last] }));
    const stopped = await sampleJson(dir, "Once upon a time", 3);
    expect(stopped.ids).toEqual(free.ids.slice(0, free.ids.indexOf(last)));
  });
  test("a generation_config.json whose eos_token_id is not an id is refused, naming the key", async () => {
    const dir = await tinyModel(GPT2, "gpt2.tokenizer.json", "gpt2.tokenizer_config.json", { bos: 50256, eos: 50256 });
    writeFileSync(join(dir, "generation_config.json"), JSON.stringify({ eos_token_id: "</s>" }));
    const r = await runCli(["sample", dir, "--backend", "cpu"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: Cannot read generation config .*generation_config\.json: eos_token_id: expected/);
  });
});

describe("tokenize marks documents by the same rule, and its manifest records it", () => {
  test("with GPT-2's tokenizer, each document ends with <|endoftext|> (no BOS); with llama2.c's, each starts with BOS", async () => {
    const d = freshDir(), text = join(d, "two.txt");
    writeFileSync(text, "Hello world\n\nOnce upon a time\n");
    const gpt2 = await tinyModel(GPT2, "gpt2.tokenizer.json", "gpt2.tokenizer_config.json", { bos: 50256, eos: 50256 });
    const run = async (tok: string, out: string) => {
      const r = await runCli(["tokenize", text, "--tokenizer", tok, "--out", join(d, out), "--workers", "0", "--json"]);
      expect(r.code, r.err).toBe(0);
      return JSON.parse(r.out) as { boundary: string; total_tokens: number; documents: number };
    };
    // "Hello world" is 2 GPT-2 tokens and "Once upon a time" 4 (7454 2402 257 640), each + one EOS
    expect(await run(gpt2, "g")).toMatchObject({ boundary: "eos", documents: 2, total_tokens: 8 });
    expect((await run(asset("stories260K/tok512.bin"), "l")).boundary).toBe("bos");
  });
});

describe("inspect names the family and the features a model uses", () => {
  test("the bundled TinyStories-656K is family llama, with no features beyond Llama 2, in the table and the JSON", async () => {
    const dir = asset("tinystories656K");
    const j = JSON.parse((await runCli(["inspect", dir, "--json"])).out);
    expect([j.family, j.features]).toEqual(["llama", {}]);
    const table = (await runCli(["inspect", dir])).out;
    expect(table).toMatch(/\n {2}family\s+Llama\n/);
    expect(table).not.toMatch(/rope scaling|sliding window|biases|residual/);
  });
  test("a GPT-2 checkpoint is family gpt2 (GPT-2 in the table)", async () => {
    const dir = await tinyModel(GPT2, "gpt2.tokenizer.json", "gpt2.tokenizer_config.json", { bos: 50256, eos: 50256 });
    expect(JSON.parse((await runCli(["inspect", dir, "--json"])).out).family).toBe("gpt2");
    expect((await runCli(["inspect", dir])).out).toMatch(/\n {2}family\s+GPT-2\n/);
  });
});
