/**
 * `inheritune inherit <reference> --layers <n | i,j,k> --out <dir>`: build the target (Sanyal et al.
 * 2024, Algorithm 1: embedding, the chosen blocks, final norm, LM head; core/surgery/plan.ts) and write it
 * as a Hugging Face directory whose config.json has the target's depth, with the reference's
 * tokenizer copied and an `inheritune.json` recording the reference (path, sha256), the plan
 * tensor by tensor, and the tool version.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { basename, join } from "node:path";
import { isDirectory, readBytes, sha256File } from "../../adapters/fs/files.ts";
import { saveHfModel } from "../../adapters/formats/hf_checkpoint.ts";
import { loadModel, type Model } from "../../adapters/formats/models.ts";
import { findTokenizerFiles, loadTokenizerFiles } from "../../adapters/tokenizers/load.ts";
import type { Dtype } from "../../core/codecs/safetensors_header.ts";
import type { TokenArray } from "../../core/train/batches.ts";
import { type AppError, appError } from "../../core/errors.ts";
import { hfExportable } from "../../core/codecs/hf_config.ts";
import { chooseHeads, headImportance, narrowHeads, prunedSpec } from "../../core/surgery/heads.ts";
import type { ModelSpec } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import { ffnImportance, keepUnits, narrowFfn } from "../../core/surgery/width.ts";
import { loadTrainingData } from "../../adapters/data/training_data.ts";
import { describeEntry, inheritWeights } from "../../core/surgery/plan.ts";
import { parseStrategy } from "../../core/surgery/strategies.ts";
import { paramCount } from "../../core/model/tensors.ts";
import { type CommandSpec, NumberArg, PosIntArg } from "../args.ts";
import type { Io } from "../io.ts";
import { type Chosen, selectBlocks } from "../select.ts";
import { TOOL } from "../version.ts";

const DtypeArg = t.keyof({ f32: null, f16: null, bf16: null });
const InheritArgs = t.intersection([
  t.type({ reference: t.string, layers: t.string, out: t.string }),
  t.partial({
    json: t.boolean,
    dtype: DtypeArg,
    tokenizer: t.string,
    data: t.string,
    ffn: PosIntArg,
    heads: PosIntArg,
    "shard-size": t.refinement(NumberArg, (n) => n > 0, "positive number"),
  }),
]);
type InheritArgs = t.TypeOf<typeof InheritArgs>;

export const inheritCommand: CommandSpec<InheritArgs> = {
  name: "inherit",
  usage:
    "inherit <reference> --layers <n | first:n | every:k | influence:n | rank:n | i,j,k> --out <dir> [--data corpus] [--ffn f] [--heads h] [--dtype f32|f16|bf16] [--tokenizer F] [--shard-size BYTES] [--json]",
  summary: "Make a target from the reference's first n (or chosen) blocks and write it as a Hugging Face directory.",
  positionals: ["reference"],
  flags: {
    layers: {
      type: "string",
      help: "n | first:n | every:k | influence:n | rank:n | an ordered list like 0,1,4 (required)",
    },
    data: { type: "string", help: "corpus whose held-out text ranks the blocks, for influence:n and rank:n" },
    out: { type: "string", help: "the directory to write; must not exist or be empty (required)" },
    dtype: { type: "string", help: "weights on disk: f32 (default), f16 or bf16" },
    tokenizer: { type: "string", help: "tokenizer to copy, when none is in the reference's directory" },
    "shard-size": { type: "string", help: "largest safetensors file in bytes, e.g. 2M (default: one file)" },
    ffn: {
      type: "string",
      help: "keep the f most active feed-forward units of each block (needs --data for calibration)",
    },
    heads: {
      type: "string",
      help: "keep the h most active attention heads of each block, h/n_kv_head per kv group under GQA (needs --data)",
    },
    json: { type: "boolean", help: "print inheritune.json instead of a summary" },
  },
  codec: InheritArgs,
};

/** sha256 of the reference: a file's own; for a directory, of its sha256sum-style listing of config and weights. */
const referenceHashes = async (
  m: Model,
): Promise<E.Either<AppError, { sha256: string; files: Array<{ name: string; sha256: string }> }>> => {
  const paths = (await isDirectory(m.source))
    ? (await readdir(m.source)).filter((f) => f === "config.json" || /\.safetensors(\.index\.json)?$/.test(f)).sort()
      .map((f) => join(m.source, f))
    : [m.source];
  const files: Array<{ name: string; sha256: string }> = [];
  for (const p of paths) {
    const h = await sha256File(p, "reference file")();
    if (E.isLeft(h)) return h;
    files.push({ name: basename(p), sha256: h.right });
  }
  const listing = files.map((f) => `${f.sha256}  ${f.name}\n`).join("");
  return E.right({
    sha256: files.length === 1 ? files[0]!.sha256 : createHash("sha256").update(listing).digest("hex"),
    files,
  });
};

const provenance = (
  a: InheritArgs,
  m: Model,
  chosen: Chosen,
  hashes: { sha256: string; files: unknown },
  dtype: Dtype,
  tokFiles: ReadonlyArray<string>,
  target: ModelSpec,
  plan = chosen.plan,
) => ({
  tool: TOOL,
  reference: {
    path: a.reference,
    ...hashes,
    format: m.disk.format,
    family: plan.reference._tag,
    n_layer: plan.reference.nLayer,
    params: paramCount(plan.reference),
  },
  selection: { layers: a.layers, strategy: chosen.name, blocks: plan.blocks, reason: chosen.reason },
  target: { n_layer: target.nLayer, params: paramCount(target), dtype },
  tokenizer: tokFiles.map((f) => basename(f)),
  plan: plan.entries.map((e) => ({ target: e.target, ...e.fate, text: describeEntry(e) })),
});

/**
 * The target narrowed to --heads heads and --ffn units per block. Both importances come from one
 * calibration pass of the unpruned target over windows of the held-out text (as Minitron ranks every
 * axis before pruning any); the two slicings touch different tensors, so their order does not matter.
 */
const narrowed = (a: InheritArgs, spec: ModelSpec, weights: Weights, val: TokenArray | undefined) => {
  if (a.ffn === undefined && a.heads === undefined) return E.right({ spec, weights, width: undefined });
  if (a.heads !== undefined) { // before calibrating: a count the grouping allows, and a config that can say head_dim
    const h = a.heads, ok = E.chain(() => hfExportable(prunedSpec(spec, h)))(chooseHeads(spec, [], h));
    if (E.isLeft(ok)) return ok;
  }
  if (val === undefined) {
    return E.left(
      appError(
        "BadArgs",
        "Cannot choose feed-forward units or attention heads without calibration text",
        "pass --data <corpus> with --ffn or --heads",
      ),
    );
  }
  const T = Math.min(100, spec.blockSize), B = Math.min(16, Math.floor((val.length - 1) / T));
  if (B < 1) {
    return E.left(appError("BadInput", `Cannot calibrate on ${val.length} held-out tokens`, "use a larger corpus"));
  }
  const tokens = Int32Array.from({ length: B * T }, (_, i) => val[i]!);
  const ffn = a.ffn === undefined
    ? undefined
    : ffnImportance(spec, weights, tokens, B, T).map((imp) => keepUnits(imp, Math.min(a.ffn!, imp.length)));
  const heads = a.heads === undefined
    ? undefined
    : chooseHeads(spec, headImportance(spec, weights, tokens, B, T), a.heads);
  if (heads !== undefined && E.isLeft(heads)) return heads;
  const byHeads = heads === undefined ? E.right({ spec, weights }) : narrowHeads(spec, weights, heads.right);
  const both = E.isRight(byHeads) && ffn !== undefined
    ? narrowFfn(byHeads.right.spec, byHeads.right.weights, ffn)
    : byHeads;
  const width = {
    ...(a.ffn !== undefined ? { ffn: a.ffn, kept: ffn } : {}),
    ...(heads !== undefined ? { heads: a.heads, kept_heads: heads.right } : {}),
    importance: `${
      [ffn && "mean |activation| of each feed-forward unit", heads && "mean |attention output| of each head"].filter(
        Boolean,
      ).join(", ")
    } over ${B * T} held-out tokens`,
  };
  return E.map((r: { spec: ModelSpec; weights: Weights }) => ({ ...r, width }))(both);
};

export const runInherit = async (a: InheritArgs, io: Io): Promise<E.Either<AppError, void>> => {
  const st = parseStrategy(a.layers);
  if (E.isLeft(st)) return st;
  const m = await loadModel(a.reference)();
  if (E.isLeft(m)) return m;
  const tokFiles = await findTokenizerFiles(m.right.source, m.right.spec.vocabSize, a.tokenizer);
  if (E.isLeft(tokFiles)) return tokFiles;
  const tok = await loadTokenizerFiles(tokFiles.right, m.right.spec.vocabSize)();
  if (E.isLeft(tok)) return tok;
  const data = a.data === undefined ? E.right(undefined) : await loadTrainingData(a.data, tok.right)();
  if (E.isLeft(data)) return data;
  const chosen = await selectBlocks(m.right, a.layers, data.right?.val);
  if (E.isLeft(chosen)) return chosen;
  const plan = chosen.right.plan;
  const hashes = await referenceHashes(m.right);
  if (E.isLeft(hashes)) return hashes;
  const copies: Array<{ name: string; bytes: Uint8Array }> = [];
  for (const f of tokFiles.right.files) {
    const b = await readBytes(f, "tokenizer file")();
    if (E.isLeft(b)) return b;
    copies.push({ name: basename(f), bytes: b.right });
  }
  const dtype = ({ f32: "F32", f16: "F16", bf16: "BF16" } as const)[a.dtype ?? "f32"];
  const target = narrowed(a, plan.target, inheritWeights(plan, m.right.weights), data.right?.val);
  if (E.isLeft(target)) return target;
  const record = {
    ...provenance(a, m.right, chosen.right, hashes.right, dtype, tokFiles.right.files, target.right.spec),
    ...(target.right.width ? { width: target.right.width } : {}),
  };
  const written = await saveHfModel(a.out, {
    spec: target.right.spec,
    weights: target.right.weights,
    dtype,
    bos: tok.right.bos,
    eos: tok.right.eos,
    ...(a["shard-size"] !== undefined ? { maxShardBytes: a["shard-size"] } : {}),
    extraFiles: [...copies, {
      name: "inheritune.json",
      bytes: new TextEncoder().encode(JSON.stringify(record, null, 2) + "\n"),
    }],
  })();
  if (E.isLeft(written)) return written;
  io.out(
    a.json
      ? JSON.stringify(record, null, 2) + "\n"
      : `${a.out}: ${plan.target.nLayer} of ${plan.reference.nLayer} blocks (${plan.blocks.join(",")}), ` +
        `${paramCount(target.right.spec).toLocaleString("en-US")} parameters, ${dtype}; wrote ${
          written.right.join(", ")
        }\n`,
  );
  return E.right(undefined);
};
