/**
 * Tiny random Pythia (GPT-NeoX, parallel and sequential residual) and Phi-2 checkpoints in Hugging Face layout, built
 * here (test/core/families/_tiny_neox_phi.ts), end to end on the CPU: they load as their family's spec, their logits track an
 * independent float64 reading of transformers' forward (test/core/families/_hf_neox_phi_reference.ts) and greedy decoding gives
 * its ids, a target inherits their first block bit for bit (also streamed from the stored bytes), and export
 * re-imports bit for bit with the checkpoint's own tensors under the same names.
 * Allowance: 64·(L + 1)·max(C, F, T) ulps of each row's largest |logit|, as props/gpu/forward_model.test.ts (f32 sums
 * of at most K terms per stage against float64).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openHfModel, saveHfModel, saveHfTensors } from "../../../adapters/formats/hf_checkpoint.ts";
import { inheritedTensors } from "../../../adapters/formats/hf_inherit.ts";
import { loadModel, type Model } from "../../../adapters/formats/models.ts";
import { loadDirTensors } from "../../../adapters/formats/safetensors_index.ts";
import { decodeStep, startDecoding } from "../../../core/generate/decode.ts";
import { argmax } from "../../../core/generate/sample.ts";
import { blockForward, forward } from "../../../core/model/forward.ts";
import { ffnDim } from "../../../core/model/spec.ts";
import { inheritWeights, planInheritance } from "../../../core/surgery/plan.ts";
import { hfReferenceGreedy, hfReferenceLogits } from "./_hf_neox_phi_reference.ts";
import { TINY_PHI, TINY_PYTHIA, writeTinyCheckpoint } from "./_tiny_neox_phi.ts";

const right = <A>(x: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(x)) throw new Error(x.left.message);
  return x.right;
};
const PROMPT = [3, 17, 5, 29, 11, 0, 38, 21];
const GREEDY_STEPS = 8;

const CASES = [
  ["Pythia (GPT-NeoX, parallel residual)", TINY_PYTHIA, "gpt_neox"],
  ["Pythia (GPT-NeoX, sequential residual)", { ...TINY_PYTHIA, use_parallel_residual: false }, "gpt_neox"],
  ["Phi-2", TINY_PHI, "phi"],
] as const;

describe.each(CASES)("a tiny random %s checkpoint on the CPU", (_, config, family) => {
  let ck: Awaited<ReturnType<typeof writeTinyCheckpoint>>, model: Model;
  const scratch: string[] = [];
  beforeAll(async () => {
    ck = await writeTinyCheckpoint(config, 7);
    model = right(await loadModel(ck.dir)());
  });
  afterAll(() => [ck.dir, ...scratch].forEach((d) => rmSync(d, { recursive: true, force: true })));
  const fresh = () => {
    const d = mkdtempSync(join(tmpdir(), "neox-phi-out-"));
    scratch.push(d);
    return join(d, "model");
  };

  test("loads as its family's rotary spec, and its logits track the independent float64 reading of transformers", () => {
    const s = model.spec, T = PROMPT.length;
    expect(s._tag === "llama" && s.family).toBe(family);
    const got = forward(s, model.weights, Int32Array.from(PROMPT), 1, T).logits;
    const want = hfReferenceLogits(ck.tensors, ck.arch, PROMPT), V = s.vocabSize;
    const ulps = 64 * (s.nLayer + 1) * Math.max(s.nEmbd, ffnDim(s), T);
    for (let t = 0; t < T; t++) {
      const row = want.subarray(t * V, (t + 1) * V), scale = Math.max(...row.map(Math.abs));
      for (let v = 0; v < V; v++) {
        expect(Math.abs(got[t * V + v]! - row[v]!), `logit ${t},${v}`).toBeLessThanOrEqual(ulps * 2 ** -24 * scale);
      }
    }
  });

  test("greedy decoding with the KV cache gives the independent reading's greedy ids", () => {
    let st = startDecoding(model.spec), last: Float32Array = new Float32Array(0);
    for (const id of PROMPT) ({ state: st, logits: last } = decodeStep(model.spec, model.weights, st, id));
    const ids: number[] = [];
    for (let k = 0; k < GREEDY_STEPS; k++) {
      ids.push(argmax(last));
      ({ state: st, logits: last } = decodeStep(model.spec, model.weights, st, ids[k]!));
    }
    expect(ids).toEqual(hfReferenceGreedy(ck.tensors, ck.arch, PROMPT, GREEDY_STEPS));
  });

  test("export then import gives the same spec and weights bit for bit, and the written tensors are the checkpoint's own", async () => {
    const out = fresh();
    right(await saveHfModel(out, { spec: model.spec, weights: model.weights, dtype: "F32" })());
    const back = right(await loadModel(out)());
    expect(back.spec).toEqual(model.spec);
    for (const [name, w] of Object.entries(model.weights)) expect(back.weights[name], name).toEqual(w);
    const written = right(await loadDirTensors(out)()).tensors;
    expect([...written.keys()].sort()).toEqual([...ck.tensors.keys()].sort());
    for (const [name, x] of ck.tensors) expect(written.get(name)!.data, name).toEqual(x);
  });

  test("a target of the first block reproduces the reference's block bit for bit, and streaming it copies the stored tensors", async () => {
    const plan = right(planInheritance(model.spec, { _tag: "first", n: 1 }));
    const T = PROMPT.length, tokens = Int32Array.from(PROMPT);
    const got = forward(plan.target, inheritWeights(plan, model.weights), tokens, 1, T, { stream: true });
    expect(got.stream![1]).toEqual(blockForward(model.spec, model.weights, 0, got.stream![0]!).x);
    const handle = right(await openHfModel(ck.dir)()), out = fresh();
    const tensors = inheritedTensors(plan, handle);
    right(await saveHfTensors(out, { spec: plan.target, tensors, torchDtype: "F32" })());
    const written = right(await loadDirTensors(out)()).tensors;
    for (const [name, x] of written) {
      expect(x.data, name).toEqual(ck.tensors.get(name)); // layer 0 and the globals keep their names
    }
    expect(written.size).toBe([...ck.tensors.keys()].filter((n) => !/layers\.1\./.test(n)).length);
  });
});
