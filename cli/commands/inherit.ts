/**
 * `inheritune inherit <reference> --layers <n | i,j,k> --out <dir>`: build the target (Sanyal et al.
 * 2024, Algorithm 1: embedding, the chosen blocks, final norm, LM head; core/surgery/plan.ts) and write it
 * as a Hugging Face directory whose config.json has the target's depth, with the reference's
 * tokenizer copied and an `inheritune.json` recording the reference (path, sha256), the plan
 * tensor by tensor, and the tool version. A plain selection (n, every:k, a list) of an HF reference streams:
 * config and headers are read, then each target tensor is copied from the reference's stored bytes (or
 * converted, with --dtype) straight into the target's shards, so memory stays about one tensor. Narrowing
 * (--ffn, --heads) and the measured strategies (influence:n, rank:n) need the reference in f32 and read it whole.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { basename, join } from "node:path";
import { isDirectory, readBytes, sha256File } from "../../adapters/fs/files.ts";
import { type HfHandle, saveHfTensors, wholeHf } from "../../adapters/formats/hf_checkpoint.ts";
import { inheritedTensors, mainDtype } from "../../adapters/formats/hf_inherit.ts";
import { loadWeights, type ModelHandle } from "../../adapters/formats/models.ts";
import { outFromF32, type TensorOut } from "../../adapters/formats/safetensors.ts";
import { findTokenizerFiles, loadTokenizerFiles } from "../../adapters/tokenizers/load.ts";
import type { TokenArray } from "../../core/train/batches.ts";
import { type AppError, appError } from "../../core/errors.ts";
import { hfExportable } from "../../core/codecs/hf_config.ts";
import { hfOutData, hfOutSlots } from "../../core/codecs/hf_layout.ts";
import { chooseHeads, headImportance, narrowHeads, prunedSpec } from "../../core/surgery/heads.ts";
import type { ModelSpec } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import { ffnImportance, keepUnits, narrowFfn } from "../../core/surgery/width.ts";
import { loadTrainingData } from "../../adapters/data/training_data.ts";
import { type InheritancePlan, inheritWeights, planInheritance } from "../../core/surgery/plan.ts";
import { describeEntry } from "../../core/surgery/plan.ts";
import {
  chooseBlocks,
  needsDiagnostics,
  parseStrategy,
  type Strategy,
  strategyName,
} from "../../core/surgery/strategies.ts";
import { paramCount } from "../../core/model/tensors.ts";
import { checkpointFlag, type CommandSpec, PosIntArg } from "../args.ts";
import { openModelOrCheckpoint } from "../../adapters/train/run_dir.ts";
import type { Io } from "../io.ts";
import { type Chosen, selectBlocks } from "../select.ts";
import { TOOL } from "../version.ts";

/**
 * A size in bytes as transformers' `max_shard_size` takes it: "5GB" and "500MB" decimal, "5GiB" binary, or
 * bytes; a bare suffix ("2M", "5G") is decimal, as this tool's other counts.
 */
export const ByteSizeArg = new t.Type<number, string, unknown>(
  "byte size",
  (u): u is number => typeof u === "number",
  (u, c) => {
    const m = typeof u === "string" ? /^(\d+(?:\.\d+)?)\s*(?:([kKmMgGtT])(i?)B?)?$/.exec(u.trim()) : null;
    if (m === null) return t.failure(u, c);
    const power = m[2] === undefined ? 0 : "kmgt".indexOf(m[2].toLowerCase()) + 1;
    const n = Math.floor(Number(m[1]) * (m[3] === "i" ? 1024 : 1000) ** power);
    return n > 0 ? t.success(n) : t.failure(u, c);
  },
  String,
);

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
    "max-shard-size": ByteSizeArg,
    "shard-size": ByteSizeArg,
    checkpoint: t.boolean,
  }),
]);
type InheritArgs = t.TypeOf<typeof InheritArgs>;

export const inheritCommand: CommandSpec<InheritArgs> = {
  name: "inherit",
  usage:
    "inherit <reference> --layers <n | first:n | every:k | influence:n | rank:n | i,j,k> --out <dir> [--data corpus] [--ffn f] [--heads h] [--dtype f32|f16|bf16] [--tokenizer F] [--max-shard-size 5GB] [--checkpoint] [--json]",
  summary: "Make a target from the reference's first n (or chosen) blocks and write it as a Hugging Face directory.",
  positionals: ["reference"],
  flags: {
    checkpoint: checkpointFlag,
    layers: {
      type: "string",
      help: "n | first:n | every:k | influence:n | rank:n | an ordered list like 0,1,4 (required); n, every:k " +
        "and a list stream the reference tensor by tensor, influence:n and rank:n read it whole in f32 to measure",
    },
    data: { type: "string", help: "corpus whose held-out text ranks the blocks, for influence:n and rank:n" },
    out: { type: "string", help: "the directory to write; must not exist or be empty (required)" },
    dtype: {
      type: "string",
      help: "weights on disk: f32, f16 or bf16, converted with round-to-nearest-even (default: each inherited " +
        "tensor keeps the reference's stored bytes, bit for bit)",
    },
    tokenizer: { type: "string", help: "tokenizer to copy, when none is in the reference's directory" },
    "max-shard-size": {
      type: "string",
      help: "largest safetensors shard, e.g. 5GB, 500MB, 2M or bytes (default 5GB, as transformers); a larger " +
        "target is written as model-0000k-of-0000n.safetensors + model.safetensors.index.json",
    },
    "shard-size": { type: "string", help: "the same as --max-shard-size (its earlier name)" },
    ffn: {
      type: "string",
      help: "keep the f most active feed-forward units of each block (needs --data for calibration; reads the " +
        "whole reference into memory in f32)",
    },
    heads: {
      type: "string",
      help: "keep the h most active attention heads of each block, h/n_kv_head per kv group under GQA (needs " +
        "--data; reads the whole reference into memory in f32)",
    },
    json: { type: "boolean", help: "print inheritune.json instead of a summary" },
  },
  codec: InheritArgs,
};

/** sha256 of the reference: a file's own; for a directory, of its sha256sum-style listing of config and weights. */
type Hashes = { sha256: string; files: Array<{ name: string; sha256: string }> };
const referenceHashes = async (m: ModelHandle): Promise<E.Either<AppError, Hashes>> => {
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
  m: ModelHandle,
  chosen: Chosen,
  hashes: { sha256: string; files: unknown },
  t: Target,
  tokFiles: ReadonlyArray<string>,
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
  target: { n_layer: t.spec.nLayer, params: paramCount(t.spec), dtype: t.dtypes, weights: t.weights },
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

/** The block choice of a strategy that needs no measurement (first, every, a list): from the spec alone. */
const plainChoice = (st: Strategy, spec: ModelSpec): E.Either<AppError, Chosen> => {
  const c = chooseBlocks(st, spec.nLayer, undefined);
  if (E.isLeft(c)) return c;
  return E.map((plan: InheritancePlan) => ({ name: strategyName(st), plan, reason: c.right.reason }))(
    planInheritance(spec, c.right.selection),
  );
};

const DTYPE = { f32: "F32", f16: "F16", bf16: "BF16" } as const;

interface Target {
  readonly chosen: Chosen;
  readonly spec: ModelSpec;
  readonly tensors: ReadonlyArray<TensorOut>;
  readonly dtypes: string; // on disk, distinct, e.g. "BF16"
  readonly weights: "stored bytes copied" | "converted" | "through f32";
  readonly width?: unknown;
}

/** The plain plans of an HF reference: every target tensor streamed from its stored bytes (hf_inherit.ts). */
const streamedTarget = (a: InheritArgs, m: ModelHandle, hf: HfHandle, st: Strategy): E.Either<AppError, Target> =>
  E.chain(() =>
    E.map((chosen: Chosen) => {
      const dtype = a.dtype === undefined ? undefined : DTYPE[a.dtype];
      const tensors = inheritedTensors(chosen.plan, hf, dtype);
      const converted = dtype !== undefined && hf.dtypes.some((d) => d !== dtype);
      return {
        chosen,
        spec: chosen.plan.target,
        tensors,
        dtypes: [...new Set(tensors.map((x) => x.dtype))].join(", "),
        weights: converted ? "converted" : "stored bytes copied",
      } as const;
    })(plainChoice(st, m.spec))
  )(wholeHf(hf));

/**
 * Width and head narrowing and the measured strategies (influence, rank) run on the model in f32: the whole
 * reference is read into memory. Written in --dtype, else in the reference's own dtype when it has one.
 */
const f32Target = async (
  a: InheritArgs,
  handle: ModelHandle,
  val: TokenArray | undefined,
): Promise<E.Either<AppError, Target>> => {
  const m = await loadWeights(handle)();
  if (E.isLeft(m)) return m;
  const chosen = await selectBlocks(m.right, a.layers, val);
  if (E.isLeft(chosen)) return chosen;
  const target = narrowed(a, chosen.right.plan.target, inheritWeights(chosen.right.plan, m.right.weights), val);
  if (E.isLeft(target)) return target;
  const own = handle.hf?.dtypes.length === 1 ? handle.hf.dtypes[0]! : "F32";
  const dtype = a.dtype === undefined ? own : DTYPE[a.dtype];
  const { spec, weights, width } = target.right;
  return E.right({
    chosen: chosen.right,
    spec,
    tensors: hfOutSlots(spec).map((slot) =>
      outFromF32({ name: slot.hf, shape: slot.hfShape, data: hfOutData(spec, slot, weights) }, dtype)
    ),
    dtypes: dtype,
    weights: "through f32",
    ...(width ? { width } : {}),
  });
};

const tokenizerCopies = async (files: ReadonlyArray<string>) => {
  const copies: Array<{ name: string; bytes: Uint8Array }> = [];
  for (const f of files) {
    const b = await readBytes(f, "tokenizer file")();
    if (E.isLeft(b)) return b;
    copies.push({ name: basename(f), bytes: b.right });
  }
  return E.right(copies);
};

export const runInherit = async (a: InheritArgs, io: Io): Promise<E.Either<AppError, void>> => {
  const st = parseStrategy(a.layers);
  if (E.isLeft(st)) return st;
  const m = await openModelOrCheckpoint(a.reference, a.checkpoint)(); // config and headers; weights stay on disk until needed
  if (E.isLeft(m)) return m;
  const tokFiles = await findTokenizerFiles(m.right.source, m.right.spec.vocabSize, a.tokenizer);
  if (E.isLeft(tokFiles)) return tokFiles;
  const tok = await loadTokenizerFiles(tokFiles.right, m.right.spec.vocabSize)();
  if (E.isLeft(tok)) return tok;
  const data = a.data === undefined ? E.right(undefined) : await loadTrainingData(a.data, tok.right)();
  if (E.isLeft(data)) return data;
  const hf = m.right.hf;
  const plain = hf !== undefined && !needsDiagnostics(st.right) && a.ffn === undefined && a.heads === undefined;
  const target = plain ? streamedTarget(a, m.right, hf, st.right) : await f32Target(a, m.right, data.right?.val);
  if (E.isLeft(target)) return target;
  const hashing = referenceHashes(m.right); // read while the target is written: one is disk-bound, one CPU-bound
  hashing.catch(() => undefined);
  const copies = await tokenizerCopies(tokFiles.right.files);
  if (E.isLeft(copies)) return copies;
  const t = target.right, plan = t.chosen.plan;
  const record = async () => {
    const hashes = await hashing;
    return E.map((h: Hashes) => ({
      ...provenance(a, m.right, t.chosen, h, t, tokFiles.right.files),
      ...(t.width ? { width: t.width } : {}),
    }))(hashes);
  };
  let recorded: unknown;
  const shard = a["max-shard-size"] ?? a["shard-size"];
  const written = await saveHfTensors(a.out, {
    spec: t.spec,
    tensors: t.tensors,
    torchDtype: mainDtype(t.tensors),
    bos: tok.right.bos,
    eos: tok.right.eos,
    ...(shard !== undefined ? { maxShardBytes: shard } : {}),
    extraFiles: copies.right,
    lateFiles: async () =>
      E.map((r: unknown) => {
        recorded = r;
        return [{ name: "inheritune.json", bytes: new TextEncoder().encode(JSON.stringify(r, null, 2) + "\n") }];
      })(await record()),
  })();
  if (E.isLeft(written)) return written;
  io.out(
    a.json
      ? JSON.stringify(recorded, null, 2) + "\n"
      : `${a.out}: ${plan.target.nLayer} of ${plan.reference.nLayer} blocks (${plan.blocks.join(",")}), ` +
        `${paramCount(t.spec).toLocaleString("en-US")} parameters, ${t.dtypes}; wrote ${written.right.join(", ")}\n`,
  );
  return E.right(undefined);
};
