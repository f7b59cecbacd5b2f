/**
 * The config.json keys of the Llama-shaped families beyond Llama 2, both ways: model_type llama (Llama 3.x
 * rope_scaling), mistral (sliding_window), qwen2 (q/k/v biases), qwen3 (q_norm/k_norm, head_dim) and gemma
 * ((1 + w) norms, √C embedding, GeGLU, head_dim), with transformers' per-family defaults for the keys a file
 * leaves out:
 *   MistralConfig: sliding_window 4096 (null: none), max_position_embeddings 131072, untied head.
 *   Qwen2Config: always biases on q, k and v (not o; it has no attention_bias key), max_position_embeddings
 *     32768, untied head (the small released models say tied); use_sliding_window true (a window on the layers
 *     from max_window_layers on) is refused; false leaves sliding_window and max_window_layers unused.
 *   Qwen3Config: head_dim 128, max_position_embeddings 32768, untied head, no q/k/v bias; use_sliding_window
 *     true (a window on some layers only) is refused.
 *   GemmaConfig: head_dim 256, max_position_embeddings 8192, tied head.
 * rope_scaling: {"rope_type" (or the older "type"): "linear", factor} or {"rope_type": "llama3", factor,
 * low_freq_factor, high_freq_factor, original_max_position_embeddings}; other kinds (dynamic, yarn, longrope)
 * are refused by name.
 * Gemma's activation: Gemma 1 checkpoints say hidden_act "gelu", but transformers (since 4.39) ignores
 * hidden_act for Gemma and runs hidden_activation, defaulting to the tanh GELU (gelu_pytorch_tanh), as
 * Google's reference code does; so "gelu" and "gelu_pytorch_tanh" both read as the tanh GELU here, an
 * exact-GELU hidden_activation is refused, and export writes gelu_pytorch_tanh under both keys.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { type Family, headDim, type LlamaSpec, type RopeScaling, type RotaryFeatures } from "../model/spec.ts";

/** The model_type values that decode as the rotary spec (`_tag: "llama"`). */
export const ROTARY_MODEL_TYPES = ["llama", "mistral", "qwen2", "qwen3", "gemma"] as const;
export type RotaryModelType = (typeof ROTARY_MODEL_TYPES)[number];

/** The optional keys these families add to LlamaConfig's (checked for type here, for meaning below). */
export const RotaryConfigKeys = {
  rope_scaling: t.union([t.null, t.UnknownRecord]),
  sliding_window: t.union([t.number, t.null]),
  use_sliding_window: t.boolean,
  hidden_activation: t.union([t.string, t.null]),
  use_mrope: t.literal(false), // Qwen2-VL's multimodal rotary
};
type RotaryKeys = {
  readonly model_type: RotaryModelType;
  readonly hidden_size: number;
  readonly num_attention_heads: number;
  readonly hidden_act?: string;
  readonly head_dim?: number;
  readonly tie_word_embeddings?: boolean;
  readonly max_position_embeddings?: number;
  readonly rope_scaling?: Readonly<Record<string, unknown>> | null;
  readonly sliding_window?: number | null;
  readonly use_sliding_window?: boolean;
  readonly hidden_activation?: string | null;
};

/** Defaults of the keys the families' configs differ on, as their transformers config classes have them. */
export const familyDefaults = (type: RotaryModelType) => ({
  headDim: type === "qwen3" ? 128 : type === "gemma" ? 256 : undefined,
  tied: type === "gemma",
  context: { llama: 2048, mistral: 131072, qwen2: 32768, qwen3: 32768, gemma: 8192 }[type],
});

const num = (r: Readonly<Record<string, unknown>>, k: string): E.Either<string, number> =>
  typeof r[k] === "number"
    ? E.right(r[k] as number)
    : E.left(`rope_scaling.${k} must be a number, got ${JSON.stringify(r[k])}`);

/** HF rope_scaling → ours; null or absent → none. */
export const decodeRopeScaling = (
  r: Readonly<Record<string, unknown>> | null | undefined,
): E.Either<string, RopeScaling | undefined> => {
  if (r === null || r === undefined) return E.right(undefined);
  const kind = r["rope_type"] ?? r["type"];
  if (kind === "linear") return E.map((factor: number): RopeScaling => ({ kind: "linear", factor }))(num(r, "factor"));
  if (kind !== "llama3") {
    return E.left(`rope_scaling of type ${JSON.stringify(kind)} is not supported (supported: llama3, linear)`);
  }
  const keys = ["factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"] as const;
  const missing = keys.map((k) => num(r, k)).find(E.isLeft);
  if (missing !== undefined) return missing;
  const n = (k: string) => r[k] as number;
  return E.right({
    kind: "llama3",
    factor: n("factor"),
    lowFreqFactor: n("low_freq_factor"),
    highFreqFactor: n("high_freq_factor"),
    originalContext: n("original_max_position_embeddings"),
  });
};

const activationProblem = (c: RotaryKeys): string | undefined => {
  const act = c.hidden_act;
  if (c.model_type !== "gemma") {
    return act === undefined || act === "silu" ? undefined : `hidden_act ${JSON.stringify(act)} (expected "silu")`;
  }
  const run = c.hidden_activation ?? "gelu_pytorch_tanh"; // transformers ignores hidden_act for Gemma
  return run === "gelu_pytorch_tanh"
    ? undefined
    : `hidden_activation ${JSON.stringify(run)} (Gemma runs the tanh GELU, "gelu_pytorch_tanh")`;
};

/** The features a family's config says, or why it cannot be read. */
export const decodeRotaryFeatures = (c: RotaryKeys): E.Either<string, RotaryFeatures> => {
  const act = activationProblem(c);
  if (act !== undefined) return E.left(`${act} is not supported`);
  if ((c.model_type === "qwen2" || c.model_type === "qwen3") && c.use_sliding_window === true) {
    return E.left("use_sliding_window true is not supported (a window on the layers from max_window_layers on)");
  }
  const window = c.model_type === "mistral" ? (c.sliding_window === undefined ? 4096 : c.sliding_window) : null;
  return E.map((ropeScaling: RopeScaling | undefined): RotaryFeatures => ({
    ...(c.model_type === "llama" ? {} : { family: c.model_type }),
    ...(ropeScaling === undefined ? {} : { ropeScaling }),
    ...(window === null ? {} : { slidingWindow: window }),
    ...(c.model_type === "qwen2" ? { qkvBias: true } : {}),
    ...(c.model_type === "qwen3" ? { qkNorm: true } : {}),
    ...(c.model_type === "gemma" ? { normKind: "rmsOffset", embedScale: true, mlpKind: "geglu" } : {}),
  }))(decodeRopeScaling(c.rope_scaling));
};

/** head_dim, tie and context as the file says or the family defaults to. */
export const rotaryShape = (c: RotaryKeys) => {
  const d = familyDefaults(c.model_type), D = c.head_dim ?? d.headDim;
  return {
    tiedHead: c.tie_word_embeddings ?? d.tied,
    blockSize: c.max_position_embeddings ?? d.context,
    // Only a head dim other than C / NH is kept: recent transformers writes head_dim always.
    ...(D !== undefined && D * c.num_attention_heads !== c.hidden_size ? { headSize: D } : {}),
  };
};

const FAMILY_OF: Readonly<Record<string, Family>> = {
  llama: "llama",
  mistral: "mistral",
  qwen2: "qwen2",
  qwen3: "qwen3",
  gemma: "gemma",
};
const ARCHITECTURE: Readonly<Record<RotaryModelType, string>> = {
  llama: "LlamaForCausalLM",
  mistral: "MistralForCausalLM",
  qwen2: "Qwen2ForCausalLM",
  qwen3: "Qwen3ForCausalLM",
  gemma: "GemmaForCausalLM",
};

/** Which of these model types a spec is written as, or undefined when its family is another helper's. */
export const rotaryModelType = (s: LlamaSpec): RotaryModelType | undefined => {
  const f = s.family ?? "llama";
  return f in FAMILY_OF ? (f as RotaryModelType) : undefined;
};

/** Why a spec cannot be written as its family's config.json: a feature its architecture has not, or lacks. */
export const rotaryExportProblem = (s: LlamaSpec): string | undefined => {
  const type = rotaryModelType(s);
  if (type === undefined) return undefined;
  const gemma = type === "gemma";
  const checks: ReadonlyArray<[string, boolean, boolean]> = [
    // what, whether the spec has it, whether the architecture has it
    ["a sliding window", s.slidingWindow !== undefined, type === "mistral" && s.slidingWindow !== undefined],
    ["q/k norms", s.qkNorm === true, type === "qwen3"],
    ["(1 + w) norms", s.normKind === "rmsOffset", gemma],
    ["a √C embedding scale", s.embedScale === true, gemma],
    ["a GeGLU MLP", s.mlpKind === "geglu", gemma],
  ];
  const bad = checks.find(([, has, arch]) => has !== arch);
  return bad === undefined ? undefined : `${ARCHITECTURE[type]} ${bad[1] ? "has no" : "always has"} ${bad[0]}`;
};

const encodeRopeScaling = (r: RopeScaling | undefined) =>
  r === undefined ? null : r.kind === "linear" ? { rope_type: "linear", factor: r.factor } : {
    rope_type: "llama3",
    factor: r.factor,
    low_freq_factor: r.lowFreqFactor,
    high_freq_factor: r.highFreqFactor,
    original_max_position_embeddings: r.originalContext,
  };

/** The family's own keys of config.json (model_type, architectures, and what differs from LlamaConfig). */
export const encodeRotaryKeys = (s: LlamaSpec): Record<string, unknown> => {
  const type = rotaryModelType(s) ?? "llama";
  return {
    architectures: [ARCHITECTURE[type]],
    model_type: type,
    rope_scaling: encodeRopeScaling(s.ropeScaling),
    ...(type === "mistral" ? { sliding_window: s.slidingWindow ?? null } : {}),
    ...(type === "qwen2" || type === "qwen3" ? { use_sliding_window: false } : {}),
    ...(type === "gemma" ? { hidden_act: "gelu_pytorch_tanh", hidden_activation: "gelu_pytorch_tanh" } : {}),
    // Qwen3 and Gemma default head_dim to 128 and 256, not C / NH: always written for them
    ...(type === "qwen3" || type === "gemma" ? { head_dim: headDim(s) } : {}),
  };
};
