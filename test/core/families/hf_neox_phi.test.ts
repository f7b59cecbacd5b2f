/**
 * GPT-NeoX (Pythia) and Phi-2 at the edges: their real config.json files (assets/configs) read as the rotary
 * decoder's spec with the families' features, config.json written and read back, GPT-NeoX's fused
 * query_key_value split and fused exactly, and the configs that cannot describe a spec refused by name.
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import * as E from "fp-ts/lib/Either.js";
import { readFileSync } from "node:fs";
import { describe, expect } from "vitest";
import { decodeHfConfig, hfExportable } from "../../../core/codecs/hf_config.ts";
import {
  encodeNeoxPhiConfig,
  NeoxConfig,
  neoxPhiExportProblem,
  neoxPhiSpec,
  PhiConfig,
} from "../../../core/codecs/hf_config_neox_phi.ts";
import { fuseQkv, splitQkv } from "../../../core/codecs/hf_layout_neox_phi.ts";
import type { LlamaSpec } from "../../../core/model/spec.ts";
import { linear } from "../../../core/ops/matmul/matmul.ts";
import { arbNeoxSpec, arbPhiSpec, arbPlainLlamaSpec } from "../../../props/core/arbitraries.ts";

const config = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../../assets/configs/${name}.config.json`, import.meta.url), "utf8"));
const spec = (json: unknown): LlamaSpec => {
  const neox = NeoxConfig.decode(json), phi = PhiConfig.decode(json);
  if (E.isRight(neox)) return neoxPhiSpec(neox.right);
  if (E.isRight(phi)) return neoxPhiSpec(phi.right);
  throw new Error("neither a GPTNeoXConfig nor a PhiConfig");
};
const pythia = (C: number, L: number, NH: number) => ({
  _tag: "llama",
  family: "gpt_neox",
  nLayer: L,
  nEmbd: C,
  nHead: NH,
  nKvHead: NH,
  hiddenDim: 4 * C,
  vocabSize: 50304,
  blockSize: 2048,
  normEps: 1e-5,
  ropeTheta: 10000,
  ropeStyle: "half",
  tiedHead: false,
  normKind: "layer",
  mlpKind: "geluErf",
  mlpBias: true,
  rotaryDims: 16, // int(0.25 · 64)
  qkvBias: true,
  outBias: true,
  residual: "parallel",
});

describe("GPT-NeoX and Phi config.json", () => {
  test("Pythia-70m and Pythia-160m read as parallel-residual GPT-NeoX with a quarter of each 64-wide head rotating, and decode", () => {
    expect(spec(config("pythia-70m"))).toEqual(pythia(512, 6, 8));
    expect(spec(config("pythia-160m"))).toEqual(pythia(768, 12, 12));
    expect(decodeHfConfig(config("pythia-70m"), "config.json")).toEqual(E.right(pythia(512, 6, 8)));
    expect(decodeHfConfig(config("phi-2"), "config.json")).toEqual(E.right(spec(config("phi-2"))));
  });

  test("Phi-2 reads as one shared LayerNorm per block, tanh GELU, biases everywhere and 32 of 80 dims rotating", () => {
    expect(spec(config("phi-2"))).toEqual({
      _tag: "llama",
      family: "phi",
      nLayer: 32,
      nEmbd: 2560,
      nHead: 32,
      nKvHead: 32,
      hiddenDim: 10240,
      vocabSize: 51200,
      blockSize: 2048,
      normEps: 1e-5,
      ropeTheta: 10000,
      ropeStyle: "half",
      tiedHead: false,
      normKind: "layer",
      mlpKind: "geluTanh",
      mlpBias: true,
      rotaryDims: 32, // int(0.4 · 80)
      qkvBias: true,
      outBias: true,
      headBias: true,
      residual: "parallelShared",
    });
  });

  test.prop([fc.oneof(arbNeoxSpec, arbPhiSpec)])(
    "for any GPT-NeoX or Phi spec, its config.json reads back as the same spec",
    (s) => {
      expect(neoxPhiExportProblem(s)).toBeUndefined();
      expect(spec(JSON.parse(JSON.stringify(encodeNeoxPhiConfig(s, {}, "float32"))))).toEqual(s);
    },
  );

  test.prop([
    fc.integer({ min: 1, max: 256 }).chain((half) =>
      fc.record({ D: fc.constant(2 * half), pairs: fc.integer({ min: 1, max: half }) })
    ),
  ])(
    "for any head width D and even R ≤ D, the fraction written reads back as R under transformers' int(fraction · D)",
    ({ D, pairs }) => {
      const s: LlamaSpec = { ...pythia(D, 1, 1), rotaryDims: 2 * pairs } as LlamaSpec;
      const c = encodeNeoxPhiConfig(s, {}, "float32");
      expect(Math.trunc((c["rotary_pct"] as number) * D)).toBe(2 * pairs);
    },
  );

  test("a spec the family's config cannot describe is refused by name on export", () => {
    const neox = pythia(512, 6, 8) as LlamaSpec;
    expect(neoxPhiExportProblem({ ...neox, normKind: "rms" })).toBe(
      "a GPT-NeoX config.json cannot describe norm rms (LayerNorm only)",
    );
    expect(neoxPhiExportProblem({ ...neox, nKvHead: 2 })).toBe(
      "a GPT-NeoX config.json cannot describe 2 kv heads for 8 heads (no grouped-query attention)",
    );
    expect(neoxPhiExportProblem({ ...neox, family: "phi" })).toBe(
      "a Phi config.json cannot describe a linear without its bias",
    );
  });

  test.prop([arbPlainLlamaSpec])(
    "for any Llama spec given a partial rotary or a parallel residual, export is refused: LlamaConfig cannot say either",
    (s) => {
      const partial = hfExportable({ ...s, headSize: 4, rotaryDims: 2 });
      expect(E.isLeft(partial) && partial.left.message).toBe(
        "Cannot write a config.json for this model: a llama config.json cannot describe a partial rotary (2 of 4 dims)",
      );
      const parallel = hfExportable({ ...s, residual: "parallel" });
      expect(E.isLeft(parallel) && parallel.left.message).toBe(
        "Cannot write a config.json for this model: a llama config.json cannot describe the parallel residual",
      );
    },
  );
});

describe("GPT-NeoX's fused query_key_value", () => {
  const arbFused = fc.record({
    NH: fc.integer({ min: 1, max: 4 }),
    D: fc.integer({ min: 1, max: 4 }),
    C: fc.integer({ min: 1, max: 5 }),
  }).chain((d) =>
    fc.record({
      d: fc.constant(d),
      w: fc.float32Array({ minLength: 3 * d.NH * d.D * d.C, maxLength: 3 * d.NH * d.D * d.C }),
      x: fc.float32Array({ minLength: d.C, maxLength: d.C, noNaN: true, min: -4, max: 4 }),
    })
  );

  test.prop([arbFused])(
    "for any fused weight, splitting into q, k, v and fusing back gives it bit for bit",
    ({ d, w }) => {
      const parts = [0, 1, 2].map((p) => splitQkv(w, p, d.NH, d.D)) as [Float32Array, Float32Array, Float32Array];
      expect(fuseQkv(parts, d.NH, d.D)).toEqual(w);
    },
  );

  // transformers: qkv = query_key_value(x).view(…, NH, 3·D); q, k, v = qkv[..., :D], qkv[..., D:2D], qkv[..., 2D:]
  test.prop([arbFused.filter(({ w }) => w.every(Number.isFinite))])(
    "for any fused weight, our wq·x, wk·x, wv·x are the fused output's per-head thirds, as GPTNeoXAttention splits it",
    ({ d: { NH, D, C }, w, x }) => {
      const y = linear(x, w, undefined, 1, C, 3 * NH * D);
      [0, 1, 2].forEach((part) => {
        const ours = linear(x, splitQkv(w, part, NH, D), undefined, 1, C, NH * D);
        const theirs = Float32Array.from(
          { length: NH * D },
          (_, i) => y[Math.floor(i / D) * 3 * D + part * D + (i % D)]!,
        );
        expect(ours).toEqual(theirs);
      });
    },
  );
});
