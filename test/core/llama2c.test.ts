import * as E from "fp-ts/lib/Either.js";
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { decodeLlama2c, loadLlama2c } from "../../adapters/formats/llama2c.ts";
import { decodeLlama2cTokenizer, loadLlama2cTokenizer } from "../../adapters/tokenizers/llama2c.ts";
import { decodeStep, startDecoding } from "../../core/generate/decode.ts";
import { argmax } from "../../core/generate/sample.ts";
import { decodeText } from "../../core/text/tokenizer.ts";
import { GOLDEN_IDS, STORIES_BIN, STORIES_GOLDEN, STORIES_TOK } from "../assets.ts";

const right = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message);
  return e.right;
};
const bin = readFileSync(STORIES_BIN);
const leftMessage = (bytes: Uint8Array) => {
  const r = decodeLlama2c(bytes, "x.bin");
  expect(E.isLeft(r)).toBe(true);
  return E.isLeft(r) ? r.left.message : "";
};

describe("the bundled stories260K through the llama2.c loaders", () => {
  test("the checkpoint reads as a 5-block Llama with GQA, a tied head and interleaved rotary", async () => {
    const { spec } = right(await loadLlama2c(STORIES_BIN)());
    expect(spec).toMatchObject({
      nLayer: 5,
      nEmbd: 64,
      nHead: 8,
      nKvHead: 4,
      hiddenDim: 172,
      vocabSize: 512,
      blockSize: 512,
      tiedHead: true,
      ropeStyle: "interleaved",
    });
  });

  test("greedy decoding from BOS on the CPU reference reproduces run.c's 256 ids and text exactly", async () => {
    const { spec, weights } = right(await loadLlama2c(STORIES_BIN)());
    const tok = right(await loadLlama2cTokenizer(STORIES_TOK, spec.vocabSize)());
    let st = startDecoding(spec), token = tok.bos;
    const ids: number[] = [];
    for (let i = 0; i < 256; i++) {
      const r = decodeStep(spec, weights, st, token);
      st = r.state;
      ids.push(token = argmax(r.logits));
    }
    expect(ids).toEqual(GOLDEN_IDS);
    expect(decodeText(tok, ids, tok.bos) + "\n").toBe(readFileSync(STORIES_GOLDEN, "utf8"));
  });

  test("the tokenizer encodes a prompt as run.c does, and decodes byte-fallback pieces to UTF-8", async () => {
    const tok = right(await loadLlama2cTokenizer(STORIES_TOK, 512)());
    expect(tok.encode("Once upon a time", { bos: true, eos: false })).toEqual([1, 403, 407, 261, 378]);
    const s = "naïve café ✓\n";
    expect(decodeText(tok, tok.encode(s, { bos: false, eos: false }), 0)).toBe(" " + s);
  });
});

describe("bad llama2.c files are refused with one clear message", () => {
  test("a truncated checkpoint names the bytes the header implies", () => {
    expect(leftMessage(bin.subarray(0, 5000))).toMatch(/implies 1056540 bytes but the file has 5000/);
    expect(leftMessage(bin.subarray(0, 10))).toMatch(/fewer than the 28-byte header/);
  });
  test("a header whose sizes do not match the file length is refused", () => {
    const b = new Uint8Array(bin);
    new DataView(b.buffer).setInt32(8, 6, true); // n_layers 5 → 6
    expect(leftMessage(b)).toMatch(/implies \d+ bytes but the file has 1056540/);
  });
  test("a header with a zero or negative dimension is refused before anything is allocated", () => {
    const b = new Uint8Array(bin);
    new DataView(b.buffer).setInt32(0, -64, true);
    expect(leftMessage(b)).toMatch(/dim: expected PositiveInt, got -64/);
  });
  test("heads that do not divide the width are refused", () => {
    const b = new Uint8Array(bin);
    new DataView(b.buffer).setInt32(12, 7, true); // n_heads 8 → 7
    expect(leftMessage(b)).toMatch(/not divisible by n_head 7/);
  });
  test("NaN weights are refused", () => {
    const b = new Uint8Array(bin);
    new DataView(b.buffer).setFloat32(28 + 4 * 100, NaN, true);
    expect(leftMessage(b)).toMatch(/NaN or infinite/);
  });
  test("a v2 (ak42) export is named as such", () => {
    const v2 = new Uint8Array(bin.subarray(0, 256));
    new DataView(v2.buffer).setUint32(0, 0x616b3432, true);
    expect(leftMessage(v2)).toMatch(/v1\/v2 \("ak42"\) export/);
  });
  test("a truncated tokenizer names the token where it ends", () => {
    const tokBytes = readFileSync(STORIES_TOK);
    const r = decodeLlama2cTokenizer(tokBytes.subarray(0, 300), 512, "t.bin");
    expect(E.isLeft(r) && r.left.message).toMatch(/it ends at token \d+ of the model's 512/);
    const r2 = decodeLlama2cTokenizer(tokBytes, 600, "t.bin");
    expect(E.isLeft(r2) && r2.left.message).toMatch(/ends at token 512 of the model's 600/);
  });
});
