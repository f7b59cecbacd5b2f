/**
 * `bench --scale`: the project at real size, on random-weight checkpoints of real shapes written on the fly into
 * a temporary folder (bench/random_checkpoint.ts; shapes, dtypes and file layouts are what scale depends on):
 * GPT-2 124M and 355M (f32, as the published files), TinyLlama-1.1B (bf16) and an OpenLLaMA-3B shape (bf16, for
 * the file paths only). For each: writing it, `inspect`, `inherit` at half depth (the paper's cut) as child
 * processes with their time and peak memory, then, for the targets that fit, one evaluation pass and training
 * steps on the device with the memory plan beside what was allocated; `analyze` at the paper's 100 × 100 on GPT-2
 * 124M's target; `tokenize` throughput on a generated corpus; and the PyTorch peer training GPT-2 124M's
 * half-depth shape (bench/peer_torch.py). Every folder is removed as soon as its model is measured.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { existsSync } from "node:fs";
import { mkdtemp, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AppError, appError } from "../core/errors.ts";
import { measureProcess, type ProcessMeasure } from "./measure_process.ts";
import { runTorchPeer, type TorchResult } from "./peer_torch.ts";
import { REAL_CONFIGS, writeRandomHfCheckpoint } from "./random_checkpoint.ts";
import { measureScaleTraining, type ScaleGpu, type ScaleTrainMeasure } from "./scale_train.ts";

/** A real shape: its dtype on disk, the half-depth cut, and the training shape when its target is trained here. */
interface ScaleModel {
  readonly name: string;
  readonly dtype: "f32" | "bf16";
  readonly half: number;
  /** The tokenizer.json written beside it (assets/tokenizers), of the same vocabulary: inherit copies it. */
  readonly tokenizer: string;
  readonly train?: { readonly batch: number; readonly ctx: number; readonly steps: number };
  /** The paper's attention-rank measure, 100 windows of 100 tokens, on the half-depth target. */
  readonly analyze?: boolean;
}

const GPT2 = "gpt2.tokenizer.json", LLAMA = "tinyllama-1.1b-chat-v0.6.tokenizer.json";

export const SCALE_MODELS: ReadonlyArray<ScaleModel> = [
  // TinyLlama first: its target's 11.6 GiB plan needs the memory the later models' host copies would hold.
  { name: "tinyllama-1.1b", dtype: "bf16", half: 11, tokenizer: LLAMA, train: { batch: 1, ctx: 256, steps: 2 } },
  { name: "gpt2-124m", dtype: "f32", half: 6, tokenizer: GPT2, train: { batch: 4, ctx: 256, steps: 3 }, analyze: true },
  { name: "gpt2-355m", dtype: "f32", half: 12, tokenizer: GPT2, train: { batch: 4, ctx: 256, steps: 2 } },
  // OpenLLaMA's own tokenizer is not bundled; Llama 2's has the same 32000 entries, which is all a file path needs.
  { name: "openllama-3b", dtype: "bf16", half: 13, tokenizer: LLAMA },
];

export const SCALE_MODEL_NAMES: ReadonlyArray<string> = SCALE_MODELS.map((m) => m.name);

/** `--scale-models a,b`: known names of SCALE_MODELS, in the order given, each once. */
export const scaleModelsArg = (text: string): E.Either<AppError, ReadonlyArray<string>> => {
  const names = [...new Set(text.split(",").map((x) => x.trim()).filter((x) => x !== ""))];
  const unknown = names.filter((x) => !SCALE_MODEL_NAMES.includes(x));
  return names.length === 0 || unknown.length > 0
    ? E.left(
      appError(
        "BadArgs",
        `Cannot run the scale bench of --scale-models "${text}": ${
          names.length === 0 ? "no model named" : `no scale model ${unknown.join(", ")}`
        }`,
        `name some of ${SCALE_MODEL_NAMES.join(", ")}, separated by commas`,
      ),
    )
    : E.right(names);
};

export interface ScaleRow {
  readonly model: string;
  readonly dtype: string;
  readonly half: number;
  readonly file_bytes: number;
  readonly write_s: number;
  readonly inspect: ProcessMeasure;
  readonly inherit: ProcessMeasure;
  readonly train?: ScaleTrainMeasure | { readonly error: string };
  /** analyze 100 × 100: the paper's measures alone (no early exits), and with early exits on the first 1,000 tokens. */
  readonly analyze?: { readonly ranks: ProcessMeasure; readonly exits: ProcessMeasure };
}

export interface TokenizeRow {
  readonly tokenizer: string;
  readonly corpus_bytes: number;
  readonly tokens: number | null;
  readonly tokens_per_s: number | null;
  readonly run: ProcessMeasure;
}

export interface ScaleResult {
  readonly rows: ReadonlyArray<ScaleRow>;
  readonly tokenize: ReadonlyArray<TokenizeRow>;
  readonly torch: TorchResult | null;
}

export interface ScaleOptions {
  /** The Node CLI bundle the commands run as (default dist/inheritune.mjs: `npm run build` makes it). */
  readonly cli?: string;
  readonly gpu: ScaleGpu;
  readonly log: (line: string) => void;
  readonly torch: boolean;
  /** Only these models (names of SCALE_MODELS), and then no tokenize rows; all models and tokenize when left out. */
  readonly only?: ReadonlyArray<string>;
}

const dirBytes = async (dir: string, files: ReadonlyArray<string>): Promise<number> =>
  (await Promise.all(files.map((f) => stat(join(dir, f)).then((s) => s.size)))).reduce((a, b) => a + b, 0);

const lean = (p: ProcessMeasure): ProcessMeasure => ({ ...p, stdout: p.stdout.length > 2000 ? "" : p.stdout });

/**
 * Flushes the files written to the disk, as a downloaded reference would long have been: otherwise `inherit`'s time
 * includes the kernel writing back the bench's own 2–6 GB (TinyLlama's inherit: 11.1 s right after the write,
 * 6.5–9.1 s by hand, most of it system time).
 */
const syncFiles = async (dir: string, names: ReadonlyArray<string>): Promise<void> => {
  for (const name of names) {
    const f = await open(join(dir, name), "r+");
    try {
      await f.sync();
    } finally {
      await f.close();
    }
  }
};

const measureModel = async (
  m: ScaleModel,
  tmp: string,
  o: ScaleOptions & { readonly cli: string },
): Promise<ScaleRow> => {
  const dir = join(tmp, m.name), half = join(tmp, `${m.name}-half`);
  try {
    o.log(`scale: writing a random ${m.name} (${m.dtype})`);
    const t0 = performance.now();
    const extraFiles = [{ name: "tokenizer.json", bytes: await readFile(join(ASSETS, "tokenizers", m.tokenizer)) }];
    const files = await writeRandomHfCheckpoint(dir, REAL_CONFIGS[m.name]!, { dtype: m.dtype, seed: 1, extraFiles })();
    if (E.isLeft(files)) throw new Error(files.left.message);
    await syncFiles(dir, files.right);
    const write_s = (performance.now() - t0) / 1000, file_bytes = await dirBytes(dir, files.right);
    o.log(`scale: inspect and inherit --layers ${m.half} of ${m.name}`);
    const inspect = lean(await measureProcess(o.cli, ["inspect", dir, "--json"]));
    const inherit = lean(await measureProcess(o.cli, ["inherit", dir, "--layers", String(m.half), "--out", half]));
    await rm(dir, { recursive: true, force: true }); // the reference is no longer needed: disk for the target
    const analyze = m.analyze === true && inherit.exit_code === 0 ? await analyzeTarget(half, o) : undefined;
    const row = {
      model: m.name,
      dtype: m.dtype,
      half: m.half,
      file_bytes,
      write_s,
      inspect,
      inherit,
      ...(analyze === undefined ? {} : { analyze }),
    };
    if (m.train === undefined || inherit.exit_code !== 0) return row;
    o.log(`scale: an eval pass and ${m.train.steps} training steps of ${m.name}'s ${m.half}-block target`);
    const train = await measureScaleTraining(o.gpu, half, m.train.batch, m.train.ctx, m.train.steps).catch((
      e: Error,
    ) => ({ error: e.message }));
    return { ...row, train };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(half, { recursive: true, force: true });
  }
};

const ASSETS = fileURLToPath(new URL("../assets/", import.meta.url));
const TEXT = join(ASSETS, "text/tinystories_val_excerpt.txt");

/**
 * analyze at the paper's 100 × 100, within 10 minutes each: its measures alone (--exit-tokens 0: ranks, column shares,
 * influence), then with early exits on the first 10 windows (the LM head after every block, our addition).
 */
const analyzeTarget = async (
  dir: string,
  o: ScaleOptions & { readonly cli: string },
): Promise<{ ranks: ProcessMeasure; exits: ProcessMeasure }> => {
  const tok = join(ASSETS, "tokenizers/gpt2.tokenizer.json");
  const args = ["analyze", dir, "--data", TEXT, "--tokenizer", tok, "--tokens", "10000", "--ctx", "100", "--json"];
  o.log("scale: analyze 100 windows of 100 tokens, no early exits");
  const ranks = lean(await measureProcess(o.cli, [...args, "--exit-tokens", "0"], 600_000));
  o.log("scale: analyze 100 windows of 100 tokens, early exits on 1,000");
  const exits = lean(await measureProcess(o.cli, [...args, "--exit-tokens", "1000"], 600_000));
  return { ranks, exits };
};

/** A corpus of about `mb` MB: the bundled excerpt's paragraphs in a seeded shuffle, repeated. */
const writeCorpus = async (path: string, mb: number): Promise<number> => {
  const paras = (await readFile(TEXT, "utf8")).split(/\n\s*\n/).filter((p) => p.trim() !== "");
  let seed = 12345, bytes = 0;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  const out: string[] = [];
  while (bytes < mb * 1e6) {
    const p = paras[next() % paras.length]!;
    out.push(p);
    bytes += p.length + 2;
  }
  await writeFile(path, out.join("\n\n") + "\n");
  return (await stat(path)).size;
};

/** tokenize's throughput and peak memory, as a user runs it (a child process, every core), per tokenizer path. */
const tokenizeRows = async (tmp: string, o: ScaleOptions & { readonly cli: string }): Promise<TokenizeRow[]> => {
  const corpus = join(tmp, "corpus.txt"), corpus_bytes = await writeCorpus(corpus, 30);
  const rows: TokenizeRow[] = [];
  for (const t of ["gpt2.tokenizer.json", "llama2c.tokenizer.bin", "tinyllama-1.1b-chat-v0.6.tokenizer.json"]) {
    o.log(`scale: tokenize ${(corpus_bytes / 1e6).toFixed(0)} MB with ${t}`);
    const out = join(tmp, `tokens-${t}`);
    const run = lean(
      await measureProcess(o.cli, ["tokenize", corpus, "--tokenizer", join(ASSETS, "tokenizers", t), "--out", out]),
    );
    const tokens = run.exit_code === 0
      ? (JSON.parse(await readFile(join(out, "tokens.json"), "utf8")) as { total_tokens: number }).total_tokens
      : null;
    rows.push({ tokenizer: t, corpus_bytes, tokens, tokens_per_s: tokens === null ? null : tokens / run.seconds, run });
    await rm(out, { recursive: true, force: true });
  }
  return rows;
};

/** The PyTorch peer on GPT-2 124M's half-depth shape: 6 × 768, 12 heads, context 256, vocab 50257, batch 4. */
const TORCH_SHAPE = { layers: 6, embd: 768, heads: 12, ctx: 256, vocab: 50257, batch: 4, steps: 3 } as const;

/** The bundle beside this module's: src bench/ → dist/, and dist/*.mjs → itself. */
const DEFAULT_CLI = fileURLToPath(new URL("../dist/inheritune.mjs", import.meta.url));

/** Why the scale bench cannot run its commands (no CLI bundle), checked before any other bench starts. */
export const scaleBenchProblem = (cli: string = DEFAULT_CLI): AppError | undefined =>
  existsSync(cli)
    ? undefined
    : appError("BadFile", `Cannot run bench --scale: no CLI bundle at ${cli}`, "run npm run build first");

export const runScaleBench = async (opts: ScaleOptions): Promise<ScaleResult> => {
  const o = { ...opts, cli: opts.cli ?? DEFAULT_CLI };
  const missing = scaleBenchProblem(o.cli);
  if (missing !== undefined) throw new Error(missing.message); // callers check scaleBenchProblem first
  const tmp = await mkdtemp(join(tmpdir(), "inheritune-scale-"));
  try {
    const rows: ScaleRow[] = [];
    for (const m of SCALE_MODELS.filter((x) => o.only === undefined || o.only.includes(x.name))) {
      rows.push(await measureModel(m, tmp, o));
    }
    const tokenize = o.only === undefined ? await tokenizeRows(tmp, o) : [];
    if (o.torch) o.log("scale: the PyTorch peer");
    const torch = o.torch ? await runTorchPeer(TORCH_SHAPE) : null;
    return { rows, tokenize, torch };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
};
