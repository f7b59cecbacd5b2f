/**
 * Every real config.json in assets/configs either decodes or is refused with ONE line naming the
 * unsupported field and its value (a model_type not decoded yet names the model_type). The table is
 * today's outcome per file: a family helper whose merge decodes a file flips its row to "decodes"
 * (today every file decodes; a file a later family adds, not decoded yet, names its model_type or field).
 */
import * as E from "fp-ts/lib/Either.js";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { decodeHfConfig } from "../../../core/codecs/hf_config.ts";
import { ROOT } from "../../runtimes.ts";

const CONFIGS = join(ROOT, "assets/configs");

type Outcome = "decodes" | RegExp;
const OUTCOMES: Record<string, Outcome> = {
  "gemma-2b.config.json": "decodes",
  "gpt2-large.config.json": "decodes",
  "gpt2-xl.config.json": "decodes",
  "gpt2.config.json": "decodes",
  "llama-3.2-1b.config.json": "decodes",
  "mistral-7b-v0.1.config.json": "decodes",
  "phi-2.config.json": "decodes",
  "pythia-160m.config.json": "decodes",
  "pythia-70m.config.json": "decodes",
  "qwen2.5-0.5b-instruct.config.json": "decodes",
  "qwen2.5-0.5b.config.json": "decodes",
  "smollm2-135m-instruct.config.json": "decodes",
  "smollm2-360m-instruct.config.json": "decodes",
  "tinyllama-1.1b-chat-v0.6.config.json": "decodes",
};

const isModelConfig = (f: string) => f.endsWith(".config.json") && !/(generation|tokenizer)_config\.json$/.test(f);

describe("every real config.json decodes, or is refused with one line naming the field and value", () => {
  test("the table names every config.json in assets/configs", () => {
    expect(readdirSync(CONFIGS).filter(isModelConfig).sort()).toEqual(Object.keys(OUTCOMES).sort());
  });
  for (const [file, outcome] of Object.entries(OUTCOMES)) {
    const json = JSON.parse(readFileSync(join(CONFIGS, file), "utf8")) as Record<string, unknown>;
    test(`${file}: ${outcome === "decodes" ? "decodes" : `refused, ${outcome.source}`}`, () => {
      const r = decodeHfConfig(json, file);
      if (outcome === "decodes") {
        expect(E.isRight(r) ? "decodes" : r.left.message).toBe("decodes");
        const s = (r as E.Right<{ nLayer: number; vocabSize: number }>).right;
        expect([s.nLayer, s.vocabSize]).toEqual([json.n_layer ?? json.num_hidden_layers, json.vocab_size]);
      } else {
        const message = E.isLeft(r) ? r.left.message : "decoded";
        expect(message).toMatch(new RegExp(`^Cannot read ${file.replaceAll(".", "\\.")} as a model config: `));
        expect(message).toMatch(outcome);
        expect(message).not.toMatch(/\n/);
      }
    });
  }
});
