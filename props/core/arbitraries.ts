/**
 * fast-check arbitraries for specs, weights, selections and token batches, built by construction
 * (chain), never by filtering: every generated spec is valid, every selection in range.
 * Sizes stay tiny so the CPU reference runs thousands of cases in seconds.
 * @module
 */
import fc from "fast-check";
import type { Selection } from "../../core/surgery/plan.ts";
import { isBiasName } from "../../core/model/features.ts";
import type { Gpt2Spec, LlamaSpec, ModelSpec, RopeScaling, RotaryFeatures } from "../../core/model/spec.ts";
import { allTensors, numel, type Weights } from "../../core/model/tensors.ts";

export const arbGpt2Spec: fc.Arbitrary<Gpt2Spec> = fc.record({
  nLayer: fc.integer({ min: 1, max: 4 }),
  nHead: fc.integer({ min: 1, max: 3 }),
  headDim: fc.integer({ min: 1, max: 6 }),
  vocabSize: fc.integer({ min: 2, max: 24 }),
  blockSize: fc.integer({ min: 4, max: 12 }),
  nInner: fc.integer({ min: 1, max: 20 }),
}).map(({ headDim, ...r }) => ({ _tag: "gpt2", ...r, nEmbd: r.nHead * headDim, normEps: 1e-5 }));

/**
 * Rope scalings whose bands all occur at the tiny head widths drawn here (wavelengths 2π/θ^(−2j/D) from 6 to
 * ~6000 at θ = 10000): Llama 3's with an original context of 8..400 splits them into kept, blended and
 * divided frequencies.
 */
const arbRopeScaling: fc.Arbitrary<RopeScaling> = fc.oneof(
  fc.integer({ min: 2, max: 8 }).map((factor) => ({ kind: "linear" as const, factor })),
  fc.record({
    factor: fc.integer({ min: 2, max: 32 }),
    lowFreqFactor: fc.constantFrom(1, 2),
    highFreqFactor: fc.constantFrom(4, 8),
    originalContext: fc.integer({ min: 8, max: 400 }),
  }).map((r) => ({ kind: "llama3" as const, ...r })),
);

/**
 * The features of one family of the rotary decoder, as its config.json implies them (core/codecs/hf_rotary.ts):
 * Llama 2 (none), Llama 3.x (rope scaling), Mistral (a sliding window no shorter than the context, where the
 * model is exact), Qwen3 (q/k norms) and Gemma ((1 + w) norms, √C embedding, GeGLU).
 */
const arbFamilyFeatures = (blockSize: number): fc.Arbitrary<RotaryFeatures> =>
  fc.oneof(
    fc.constant({}),
    arbRopeScaling.map((ropeScaling) => ({ ropeScaling })),
    fc.integer({ min: blockSize, max: 2 * blockSize }).map((w) => ({ family: "mistral" as const, slidingWindow: w })),
    fc.constant({ family: "qwen3" as const, qkNorm: true }),
    fc.constant({
      family: "gemma" as const,
      normKind: "rmsOffset" as const,
      embedScale: true,
      mlpKind: "geglu" as const,
    }),
  );

/**
 * The rotary decoder's biases, norm kind and MLP kind (core/model/spec.ts RotaryFeatures), each on or off by
 * itself: absent (Llama 2's choice) or named, so both spellings of the default are covered.
 */
export const arbBiasNormMlp: fc.Arbitrary<RotaryFeatures> = fc.record({
  qkvBias: fc.boolean(),
  outBias: fc.boolean(),
  mlpBias: fc.boolean(),
  headBias: fc.boolean(),
  normKind: fc.constantFrom(undefined, "rms" as const, "layer" as const),
  mlpKind: fc.constantFrom(undefined, "swiglu" as const, "geluTanh" as const, "geluErf" as const),
}).map(({ normKind, mlpKind, ...b }) => ({
  ...Object.fromEntries(Object.entries(b).filter(([, on]) => on)),
  ...(normKind === undefined ? {} : { normKind }),
  ...(mlpKind === undefined ? {} : { mlpKind }),
}));

/** Llama 2 as llama2.c and HF write it: no rotary features. */
export const arbPlainLlamaSpec: fc.Arbitrary<LlamaSpec> = fc.record({
  nLayer: fc.integer({ min: 1, max: 4 }),
  nKvHead: fc.integer({ min: 1, max: 2 }),
  group: fc.integer({ min: 1, max: 3 }), // query heads per kv head: GQA when > 1
  halfHeadDim: fc.integer({ min: 1, max: 3 }),
  vocabSize: fc.integer({ min: 2, max: 24 }),
  blockSize: fc.integer({ min: 4, max: 12 }),
  hiddenDim: fc.integer({ min: 1, max: 20 }),
  ropeStyle: fc.constantFrom("interleaved" as const, "half" as const),
  tiedHead: fc.boolean(),
}).map(({ group, halfHeadDim, ...r }): LlamaSpec => ({
  _tag: "llama",
  ...r,
  nHead: r.nKvHead * group,
  nEmbd: r.nKvHead * group * 2 * halfHeadDim,
  normEps: 1e-5,
  ropeTheta: 10000,
}));

/**
 * GPT-NeoX's and Phi-2's structure on any rotary spec: a partial rotary (the first R dims of each head rotate, R
 * even, R < D) about half the time, and the residual absent, sequential, parallel (two norms) or parallelShared (one).
 */
const withRotaryStructure = (s: LlamaSpec): fc.Arbitrary<LlamaSpec> =>
  fc.record({
    pairs: fc.integer({ min: 1, max: s.nEmbd / s.nHead / 2 }),
    partial: fc.boolean(),
    residual: fc.constantFrom(undefined, "sequential" as const, "parallel" as const, "parallelShared" as const),
  }).map(({ pairs, partial, residual }) => ({
    ...s,
    ...(partial && 2 * pairs < s.nEmbd / s.nHead ? { rotaryDims: 2 * pairs } : {}),
    ...(residual === undefined ? {} : { residual }),
  }));

/**
 * A rotary decoder: Llama 2 with one family's features (arbFamilyFeatures), any mix of biases, LayerNorm and GELU
 * MLPs (arbBiasNormMlp; where both name a norm or MLP kind, the family's (Gemma's) wins), partial rotary and
 * parallel residuals (withRotaryStructure; a partial rotary with a rope scaling scales the frequencies of its R dims).
 */
export const arbLlamaSpec: fc.Arbitrary<LlamaSpec> = fc.tuple(arbPlainLlamaSpec, arbBiasNormMlp).chain(([s, b]) =>
  arbFamilyFeatures(s.blockSize).chain((f) => withRotaryStructure({ ...s, ...b, ...f }))
);

/**
 * GPT-NeoX (Pythia): LayerNorm with bias, exact-erf GELU MLP with biases, attention biases (attention_bias) or none,
 * a partial rotary (rotary_pct), parallel or sequential residual (use_parallel_residual), no GQA, untied or tied.
 */
export const arbNeoxSpec: fc.Arbitrary<LlamaSpec> = fc.record({
  nLayer: fc.integer({ min: 1, max: 3 }),
  nHead: fc.integer({ min: 1, max: 3 }),
  halfHeadDim: fc.integer({ min: 1, max: 3 }),
  rotaryPairs: fc.integer({ min: 1, max: 3 }),
  vocabSize: fc.integer({ min: 2, max: 24 }),
  blockSize: fc.integer({ min: 4, max: 12 }),
  hiddenDim: fc.integer({ min: 1, max: 20 }),
  attentionBias: fc.boolean(),
  parallel: fc.boolean(),
  tiedHead: fc.boolean(),
}).map(({ halfHeadDim, rotaryPairs, attentionBias, parallel, ...r }): LlamaSpec => ({
  _tag: "llama",
  family: "gpt_neox",
  ...r,
  nKvHead: r.nHead,
  nEmbd: r.nHead * 2 * halfHeadDim,
  normEps: 1e-5,
  ropeTheta: 10000,
  ropeStyle: "half",
  normKind: "layer",
  mlpKind: "geluErf",
  mlpBias: true,
  ...(rotaryPairs < halfHeadDim ? { rotaryDims: 2 * rotaryPairs } : {}),
  ...(attentionBias ? { qkvBias: true, outBias: true } : {}),
  ...(parallel ? { residual: "parallel" as const } : {}),
}));

/**
 * Phi-2: one LayerNorm per block feeding attention and MLP (parallelShared), tanh-GELU MLP, a bias on every linear
 * and on the LM head, a partial rotary (partial_rotary_factor), grouped-query attention allowed.
 */
export const arbPhiSpec: fc.Arbitrary<LlamaSpec> = fc.record({
  nLayer: fc.integer({ min: 1, max: 3 }),
  nKvHead: fc.integer({ min: 1, max: 2 }),
  group: fc.integer({ min: 1, max: 2 }),
  halfHeadDim: fc.integer({ min: 1, max: 3 }),
  rotaryPairs: fc.integer({ min: 1, max: 3 }),
  vocabSize: fc.integer({ min: 2, max: 24 }),
  blockSize: fc.integer({ min: 4, max: 12 }),
  hiddenDim: fc.integer({ min: 1, max: 20 }),
  tiedHead: fc.boolean(),
}).map(({ group, halfHeadDim, rotaryPairs, ...r }): LlamaSpec => ({
  _tag: "llama",
  family: "phi",
  ...r,
  nHead: r.nKvHead * group,
  nEmbd: r.nKvHead * group * 2 * halfHeadDim,
  normEps: 1e-5,
  ropeTheta: 10000,
  ropeStyle: "half",
  normKind: "layer",
  mlpKind: "geluTanh",
  qkvBias: true,
  outBias: true,
  mlpBias: true,
  headBias: true,
  residual: "parallelShared",
  ...(rotaryPairs < halfHeadDim ? { rotaryDims: 2 * rotaryPairs } : {}),
}));

/** Any model: GPT-2, any rotary decoder, and the GPT-NeoX and Phi families as their configs describe them. */
export const arbSpec: fc.Arbitrary<ModelSpec> = fc.oneof(
  { arbitrary: arbGpt2Spec, weight: 2 },
  { arbitrary: arbLlamaSpec, weight: 2 },
  { arbitrary: arbNeoxSpec, weight: 1 },
  { arbitrary: arbPhiSpec, weight: 1 },
);

/** The biases a family's config.json can say: Llama's attention_bias and mlp_bias, Qwen3's and Gemma's attention_bias. */
const sayableBiases = (f: RotaryFeatures): fc.Arbitrary<RotaryFeatures> =>
  f.family === "mistral" ? fc.constant({}) : f.family === undefined
    ? fc.constantFrom<RotaryFeatures>(
      {},
      { qkvBias: true, outBias: true },
      { mlpBias: true },
      { qkvBias: true, outBias: true, mlpBias: true },
    )
    : fc.constantFrom<RotaryFeatures>({}, { qkvBias: true, outBias: true });

/**
 * A rotary decoder whose features a Hugging Face config.json can say: one family's (arbFamilyFeatures: Llama 2 and
 * 3, Mistral, Qwen3, Gemma) with the biases its config has keys for (attention_bias is q, k, v and o together), or
 * Qwen2 (q, k, v biases). LayerNorm and the ungated GELU MLPs need other families' configs.
 */
export const arbHfLlamaSpec: fc.Arbitrary<LlamaSpec> = arbPlainLlamaSpec.chain((s) =>
  fc.oneof(
    fc.constant<RotaryFeatures>({ family: "qwen2", qkvBias: true }),
    arbFamilyFeatures(s.blockSize).chain((f) => sayableBiases(f).map((b): RotaryFeatures => ({ ...f, ...b }))),
  ).map((f): LlamaSpec => ({ ...s, ...f }))
);

/**
 * A spec whose heads may have a width of their own, as after head pruning (core/surgery/heads.ts): headSize
 * D with NH·D ≠ C about half the time (even for Llama's rotary pairs), else the spec as drawn.
 */
export const arbHeadSizedSpec: fc.Arbitrary<ModelSpec> = arbSpec.chain((s) =>
  fc.oneof(
    fc.constant(s),
    fc.integer({ min: 1, max: 3 }).map((k): ModelSpec =>
      s._tag === "llama"
        ? {
          ...s,
          headSize: 2 * k,
          ...(s.rotaryDims !== undefined ? { rotaryDims: Math.min(s.rotaryDims, 2 * k) } : {}),
        }
        : { ...s, headSize: 2 * k - 1 }
    ),
  )
);

/** A seeded stream of uniform numbers in [−1, 1) (mulberry32): weights like a random init. */
const uniforms = (seed: number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return 2 * (((t ^ (t >>> 14)) >>> 0) / 4294967296) - 1;
  };
};

/**
 * Weights for a spec, drawn from a seed like a random init: matrices uniform in ±1/√fan_in, norm
 * gains 1 ± 0.5, biases ±0.1. Generic values, not shrinkable degenerate ones: equal weights make
 * norms of cancelling rows ill-conditioned, where no f32 kernel can track a float64 oracle.
 */
export const arbWeights = (s: ModelSpec): fc.Arbitrary<Weights> =>
  fc.integer().map((seed) => {
    const next = uniforms(seed);
    return Object.fromEntries(
      allTensors(s).map((t) => {
        const bias = t.shape.length === 1 && isBiasName(t.name), gain = t.shape.length === 1 && !bias;
        const scale = gain ? 0.5 : bias ? 0.1 : 1 / Math.sqrt(t.shape[t.shape.length - 1]!);
        return [t.name, Float32Array.from({ length: numel(t.shape) }, () => (gain ? 1 : 0) + scale * next())];
      }),
    );
  });

/** A selection: the first n blocks, or any ordered list of distinct blocks. */
export const arbSelection = (L: number): fc.Arbitrary<Selection> =>
  fc.oneof(
    fc.integer({ min: 1, max: L }).map((n) => ({ _tag: "first" as const, n })),
    fc.shuffledSubarray(Array.from({ length: L }, (_, i) => i), { minLength: 1 }).map((indices) => ({
      _tag: "blocks" as const,
      indices,
    })),
  );

export const arbTokens = (s: ModelSpec): fc.Arbitrary<{ B: number; T: number; tokens: Int32Array }> =>
  fc.record({ B: fc.integer({ min: 1, max: 2 }), T: fc.integer({ min: 1, max: s.blockSize }) }).chain(({ B, T }) =>
    fc.array(fc.integer({ min: 0, max: s.vocabSize - 1 }), { minLength: B * T, maxLength: B * T })
      .map((xs) => ({ B, T, tokens: Int32Array.from(xs) }))
  );

/** A reference model with its weights, a selection and a token batch. */
export const arbInheritanceCase = arbSpec.chain((ref) =>
  fc.record({
    ref: fc.constant(ref),
    weights: arbWeights(ref),
    selection: arbSelection(ref.nLayer),
    batch: arbTokens(ref),
  })
);
