/**
 * `inheritune inspect <model> [--json]`: what a checkpoint is, without running it: family, depth,
 * widths, heads, kv heads, vocabulary, context, parameters by part, dtype on disk, tying, rotary. A Hugging Face
 * directory is described from config.json and the safetensors headers alone, so any size costs the same; a
 * file whose data ends before its header says is still described, with a TRUNCATED line (and `truncated` in
 * the JSON) naming the file and tensor, since that is what someone inspecting a half-copied download needs.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { rotaryFeatureWords } from "../../core/model/rotary_features.ts";
import { type ModelHandle, openModel } from "../../adapters/formats/models.ts";
import type { AppError } from "../../core/errors.ts";
import { ffnDim, headDim, isTied, kvHeads } from "../../core/model/spec.ts";
import { blockParams, globalTensors, numel, paramCount } from "../../core/model/tensors.ts";
import { checkpointFlag, type CommandSpec } from "../args.ts";
import { openModelOrCheckpoint, type RunInfo, runInfo } from "../../adapters/train/run_dir.ts";
import type { Io } from "../io.ts";

const InspectArgs = t.intersection([
  t.type({ model: t.string }),
  t.partial({ json: t.boolean, checkpoint: t.boolean }),
]);

export const inspectCommand: CommandSpec<t.TypeOf<typeof InspectArgs>> = {
  name: "inspect",
  usage: "inspect <model | run dir> [--checkpoint] [--json]",
  summary: "Describe a model (llama2.c .bin or Hugging Face directory): shapes, parameters, storage.",
  positionals: ["model"],
  flags: { json: { type: "boolean", help: "print one JSON object instead of a table" }, checkpoint: checkpointFlag },
  codec: InspectArgs,
};

/** The facts, with the JSON keys the issue names (nanoGPT's names). */
export const describeModel = (m: Pick<ModelHandle, "source" | "spec" | "disk" | "truncated">) => {
  const s = m.spec,
    part = (names: ReadonlyArray<string>) =>
      globalTensors(s).filter((x) => names.includes(x.name)).reduce((n, x) => n + numel(x.shape), 0);
  return {
    source: m.source,
    family: s._tag,
    n_layer: s.nLayer,
    n_embd: s.nEmbd,
    n_head: s.nHead,
    n_kv_head: kvHeads(s),
    head_dim: headDim(s),
    ffn_dim: ffnDim(s),
    vocab_size: s.vocabSize,
    block_size: s.blockSize,
    norm_eps: s.normEps,
    tied_head: isTied(s),
    rope: s._tag === "llama" ? { style: s.ropeStyle, theta: s.ropeTheta } : null,
    model_type: s._tag === "llama" ? (s.family ?? "llama") : "gpt2",
    features: rotaryFeatureWords(s), // Llama 3 / Mistral / Qwen3 / Gemma's, beyond Llama 2
    params: {
      total: paramCount(s),
      embedding: part(["wte"]),
      positions: part(["wpe"]),
      blocks: s.nLayer * blockParams(s),
      per_block: blockParams(s),
      final_norm: part(["lnfw", "lnfb", "normf"]),
      head: part(["lmhead"]),
    },
    disk: m.disk,
    ...(m.truncated !== undefined ? { truncated: m.truncated } : {}),
  };
};

const table = (d: ReturnType<typeof describeModel>): string => {
  const n = (x: number) => x.toLocaleString("en-US");
  const rows: Array<[string, string]> = [
    ["family", d.family === "gpt2" ? "GPT-2" : d.model_type === "llama" ? "Llama" : `Llama-shaped (${d.model_type})`],
    ...(d.features.length > 0 ? [["features", d.features.join(", ")] as [string, string]] : []),
    ["depth (n_layer)", String(d.n_layer)],
    ["width (n_embd)", String(d.n_embd)],
    ["heads / kv heads", `${d.n_head} / ${d.n_kv_head} (head dim ${d.head_dim})`],
    ["ffn width", String(d.ffn_dim)],
    ["vocabulary", String(d.vocab_size)],
    ["context (block_size)", String(d.block_size)],
    ["norm eps", String(d.norm_eps)],
    ["LM head", d.tied_head ? "tied to the token embedding" : "untied"],
    [
      "rotary",
      d.rope === null
        ? "none (learned positions)"
        : `${
          d.rope.style === "interleaved" ? "interleaved pairs (llama2.c)" : "half split (HF rotate_half)"
        }, θ ${d.rope.theta}`,
    ],
    ["parameters", n(d.params.total)],
    ["  embedding", n(d.params.embedding)],
    ...(d.params.positions > 0 ? [["  positions", n(d.params.positions)] as [string, string]] : []),
    ["  blocks", `${n(d.params.blocks)} (${n(d.params.per_block)} each)`],
    ["  final norm", n(d.params.final_norm)],
    ["  LM head", d.tied_head ? "0 (tied)" : n(d.params.head)],
    ["format on disk", d.disk.format],
    ["dtype on disk", d.disk.dtype],
    ...(d.truncated !== undefined ? [["TRUNCATED", `${d.truncated}; loading it will fail`] as [string, string]] : []),
  ];
  return `${d.source}\n${rows.map(([k, v]) => `  ${k.padEnd(22)}${v}`).join("\n")}\n`;
};

/** A run directory's settings and how far it got (adapters/train/run_dir.ts), for the table and the JSON. */
const runFacts = (r: RunInfo) => ({
  run: r.run,
  finished: r.finished,
  step: r.checkpoint.step,
  steps: r.checkpoint.settings.steps,
  tokens: r.checkpoint.tokens,
  val_loss_initial: r.checkpoint.valLossInitial,
  last_metrics: r.last,
  settings: r.checkpoint.settings,
});

const runTable = (f: ReturnType<typeof runFacts>): string => {
  const s = f.settings as Readonly<Record<string, unknown>>;
  const rows: Array<[string, string]> = [
    [
      "progress",
      `step ${f.step} of ${f.steps}, ${f.tokens.toLocaleString("en-US")} tokens${f.finished ? ", finished" : ""}`,
    ],
    [
      "val loss",
      `${f.val_loss_initial.toFixed(4)} at step 0${
        f.last_metrics?.val_loss != null ? `, ${f.last_metrics.val_loss.toFixed(4)} at step ${f.last_metrics.step}` : ""
      }`,
    ],
    ["settings", Object.entries(s).map(([k, v]) => `${k} ${v}`).join(", ")],
  ];
  return `run ${f.run}\n${rows.map(([k, v]) => `  ${k.padEnd(22)}${v}`).join("\n")}\n`;
};

export const runInspect = async (a: t.TypeOf<typeof InspectArgs>, io: Io): Promise<E.Either<AppError, void>> => {
  const run = await runInfo(a.model);
  if (E.isLeft(run)) return run;
  const r = run.right;
  // A run's model is described from its model/ (or its checkpoint's record when asked for, or not finished).
  const m = r !== undefined && (a.checkpoint === true || !r.finished)
    ? E.right({
      source: `${a.model} (checkpoint)`,
      spec: r.checkpoint.spec,
      disk: { format: "inheritune checkpoint", dtype: "F32" },
    })
    : a.checkpoint === true
    ? await openModelOrCheckpoint(a.model, true)() // not a run: its error
    : await openModel(a.model)(); // config and headers only: no tensor is read
  if (E.isLeft(m)) return m;
  const d = describeModel(m.right);
  const facts = r === undefined ? undefined : runFacts(r);
  io.out(
    a.json
      ? JSON.stringify(facts === undefined ? d : { ...d, run: facts }, null, 2) + "\n"
      : table(d) + (facts === undefined ? "" : runTable(facts)),
  );
  return E.right(undefined);
};
