import * as E from "fp-ts/lib/Either.js";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { loadModel, loadTokenizer, type Model } from "../../adapters/formats/models.ts";
import { decodeAk42 } from "../../adapters/formats/llama2c_ak42.ts";
import { decodeStep, startDecoding } from "../../core/generate/decode.ts";
import { inheritWeights, planInheritance } from "../../core/surgery/plan.ts";
import { argmax } from "../../core/generate/sample.ts";
import { allTensors } from "../../core/model/tensors.ts";
import { decodeText, type Tokenizer } from "../../core/text/tokenizer.ts";
import { GOLDEN_IDS, STORIES_BIN, STORIES_Q80, TINY656K_DIR, TINY656K_GREEDY_PREFIX } from "../assets.ts";
import { runCli } from "../cli_io.ts";
import { freshDir, right } from "../tmp.ts";

const greedy = (m: Pick<Model, "spec" | "weights">, bos: number, n: number): number[] => {
  let st = startDecoding(m.spec), token = bos;
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = decodeStep(m.spec, m.weights, st, token);
    st = r.state;
    ids.push(token = argmax(r.logits));
  }
  return ids;
};
const text = (tok: Tokenizer, ids: number[]) => decodeText(tok, ids, tok.bos);

describe("tinystories656K from its Hugging Face directory", () => {
  test('it loads as the config says, finds its own tokenizer.json, and greedy sampling matches an independent forward: coherent English from "Once upon a time"', async () => {
    const m = right(await loadModel(TINY656K_DIR)());
    expect(m.disk).toEqual({ format: "safetensors (model.safetensors)", dtype: "F32" });
    const tok = right(await loadTokenizer(m, undefined)());
    expect([tok.vocabSize, tok.bos, tok.eos]).toEqual([2048, 1, 2]);
    const ids = greedy(m, tok.bos, 40);
    expect(ids.slice(0, TINY656K_GREEDY_PREFIX.length)).toEqual(TINY656K_GREEDY_PREFIX);
    expect(text(tok, ids)).toMatch(
      /^Once upon a time, there was a little girl named Lily\. She had a toy car that she loved very much\./,
    );
  });
  test("its tokenizer encodes as the library does (the extra leading ▁ included) and decodes back", async () => {
    const m = right(await loadModel(TINY656K_DIR)());
    const tok = right(await loadTokenizer(m, undefined)());
    const s = "Once upon a time, there was a little girl named Lily.";
    expect(tok.encode(s, { bos: true, eos: false })).toEqual([1, 80, 147, 201, 282, 215, 286, 598, 629, 10]);
    expect(tok.decode(tok.encode(s, { bos: true, eos: true }))).toBe(s);
  });
});

describe("the inherited stories260K target as a Hugging Face directory", () => {
  test("`inherit --layers 3` re-imports with bit-identical weights and samples the same greedy text as the in-memory target", async () => {
    const out = join(freshDir(), "s3");
    const r = await runCli(["inherit", STORIES_BIN, "--layers", "3", "--out", out]);
    expect(r.err).toBe("");
    const ref = right(await loadModel(STORIES_BIN)());
    const plan = right(planInheritance(ref.spec, { _tag: "first", n: 3 }));
    const mem = { spec: plan.target, weights: inheritWeights(plan, ref.weights) };
    const back = right(await loadModel(out)());
    expect(back.spec).toEqual(mem.spec);
    for (const t of allTensors(mem.spec)) expect(back.weights[t.name], t.name).toEqual(mem.weights[t.name]);
    const tok = right(await loadTokenizer(back, undefined)());
    const a = greedy(back, tok.bos, 48), b = greedy(mem, tok.bos, 48);
    expect(a).toEqual(b);
    const s = await runCli(["sample", out, "--temperature", "0", "--max-new-tokens", "48"]);
    expect(s.out).toBe(text(tok, b) + "\n");
  });
});

describe("llama2.c ak42 checkpoints", () => {
  test("the v2 (Q8_0) stories260K dequantises to within half a group scale of the float32 file, and greedy sampling tells the same story", async () => {
    const q = right(await loadModel(STORIES_Q80)());
    const f = right(await loadModel(STORIES_BIN)());
    expect(q.spec).toEqual(f.spec);
    expect(q.disk.dtype).toBe("Q8_0 int8, groups of 32");
    for (const t of allTensors(f.spec)) {
      const a = q.weights[t.name]!, b = f.weights[t.name]!;
      if (t.shape.length === 1) {
        expect(a, t.name).toEqual(b);
        continue;
      } // norms are stored in f32
      let worst = 0; // |dequantised − f32| / scale, over the tensor
      for (let g = 0; g < a.length; g += 32) {
        const scale = Math.max(...a.subarray(g, g + 32).map(Math.abs)) / 127; // the group's max maps to ±127
        for (let i = g; i < g + 32; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / scale);
      }
      expect(worst, t.name).toBeLessThanOrEqual(0.5 + 1e-5);
    }
    const tok = right(await loadTokenizer(f, undefined)());
    expect(text(tok, greedy(q, 1, 20))).toMatch(/^Once upon a time, there was a little girl/);
  });
  test("a v1 (float32) file written from stories260K's weights in export.py's order loads bit for bit", async () => {
    const f = right(await loadModel(STORIES_BIN)());
    const s = f.spec, L = s.nLayer, w = f.weights;
    const head = new Uint8Array(256), v = new DataView(head.buffer);
    [0x616b3432, 1, s.nEmbd, 172, L, s.nHead, 4, s.vocabSize, s.blockSize].forEach((x, i) =>
      v.setInt32(4 * i, x, true)
    );
    head[36] = 1;
    const order = [
      ...["attnnorm", "ffnnorm"].flatMap((n) => Array.from({ length: L }, (_, l) => `h.${l}.${n}`)),
      "normf",
      "wte",
      ...["wq", "wk", "wv", "wo", "w1", "w2", "w3"].flatMap((n) => Array.from({ length: L }, (_, l) => `h.${l}.${n}`)),
    ];
    const parts = [head, ...order.map((n) => new Uint8Array(w[n]!.slice().buffer))];
    const bytes = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    parts.reduce((o, p) => (bytes.set(p, o), o + p.length), 0);
    const m = right(decodeAk42(bytes, "v1.bin"));
    expect(m.version).toBe(1);
    expect(m.weights).toEqual(w);
    expect(E.isLeft(decodeAk42(bytes.subarray(0, bytes.length - 4), "cut.bin"))).toBe(true);
    const p = join(freshDir(), "v1.bin");
    writeFileSync(p, bytes);
    expect(greedy(right(await loadModel(p)()), 1, 16)).toEqual(GOLDEN_IDS.slice(0, 16));
  });
  test("a truncated or padded v2 file is refused with one clear message", () => {
    const b = new Uint8Array(readFileSync(STORIES_Q80));
    const cut = decodeAk42(b.subarray(0, 100_000), "q.bin"), pad = decodeAk42(new Uint8Array([...b, 0, 0]), "q.bin");
    expect(E.isLeft(cut) && cut.left.message).toMatch(/the header implies \d+ bytes but the file has \d+/);
    expect(E.isLeft(pad) && pad.left.message).toMatch(/the header implies 294816 bytes but the file has 294818/);
  });
});
