/**
 * `inheritune tokenize <corpus> --tokenizer <t> --out <dir>`: tokenize a .txt/.jsonl file or a
 * directory of them once into token shards (adapters/data/token_store.ts), with BOS (and/or EOS) at
 * document boundaries (by default the tokenizer's convention, core/text/conventions.ts; the manifest records it), the last --val-fraction of tokens held out (from a document start), and
 * optionally a default training subset by --tokens or --fraction with --seed (core/train/token_shards.ts).
 * Documents are encoded by --workers worker threads (default: the cores), streaming; the shards are
 * the same bytes for any worker count. A progress bar appears on stderr when tokenizing takes longer
 * than a second.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { listCorpus } from "../../adapters/data/corpus.ts";
import { saveSubset, tokenizeCorpus } from "../../adapters/data/token_store.ts";
import { defaultWorkers, workerEncoder, workerEntry } from "../../adapters/data/doc_encoder.ts";
import { findTokenizerFiles, loadTokenizerFiles } from "../../adapters/tokenizers/load.ts";
import { type AppError, appError } from "../../core/errors.ts";
import { documentBoundary } from "../../core/text/conventions.ts";
import { rangeTokens, selectSubset } from "../../core/train/token_shards.ts";
import { type CommandSpec, NonNegIntArg, NumberArg, PosIntArg } from "../args.ts";
import type { Io } from "../io.ts";

const Fraction = t.refinement(NumberArg, (x) => x > 0 && x <= 1, "number in (0, 1]");
const ValFraction = t.refinement(NumberArg, (x) => x >= 0 && x < 1, "number in [0, 1)");
const TokenizeArgs = t.intersection([
  t.type({ corpus: t.string, tokenizer: t.string, out: t.string }),
  t.partial({
    field: t.string,
    split: t.keyof({ paragraph: null, line: null, file: null }),
    boundary: t.keyof({ bos: null, eos: null, both: null }),
    "val-fraction": ValFraction,
    tokens: PosIntArg,
    fraction: Fraction,
    seed: NonNegIntArg,
    "shard-tokens": PosIntArg,
    chunk: PosIntArg,
    workers: NonNegIntArg,
    json: t.boolean,
  }),
]);
type TokenizeArgs = t.TypeOf<typeof TokenizeArgs>;

export const tokenizeCommand: CommandSpec<TokenizeArgs> = {
  name: "tokenize",
  usage:
    "tokenize <corpus> --tokenizer <t> --out <dir> [--split paragraph|line|file] [--field F] [--val-fraction F] [--tokens N | --fraction F] [--seed N] [--workers N]",
  summary: "Tokenize .txt/.jsonl text once into token shards with a validation split and an optional subset.",
  positionals: ["corpus"],
  flags: {
    tokenizer: { type: "string", help: "tokenizer file or a model directory holding one (required)" },
    out: { type: "string", help: "directory to create for the shards (required)" },
    split: { type: "string", help: ".txt documents: paragraph (default; blank-line separated), line or file" },
    field: { type: "string", help: ".jsonl: the field holding the text (default text)" },
    boundary: {
      type: "string",
      help:
        "mark documents with bos, eos or both (default: bos when the tokenizer adds BOS, as Llama's; else eos, as GPT-2's)",
    },
    "val-fraction": { type: "string", help: "share of tokens held out at the end (default 0.1)" },
    tokens: { type: "string", help: "training subset: a token budget, e.g. 1M" },
    fraction: { type: "string", help: "training subset: a share of the training tokens, e.g. 0.001" },
    seed: { type: "string", help: "seed for the subset (default 0)" },
    chunk: { type: "string", help: "subset granularity in tokens (default 4096)" },
    "shard-tokens": { type: "string", help: "tokens per shard file (default 16M)" },
    workers: { type: "string", help: "tokenizer worker threads (default: the cores; 0 encodes in this thread)" },
    json: { type: "boolean", help: "print the manifest as JSON" },
  },
  codec: TokenizeArgs,
};

const progressBar = (io: Io) => {
  const start = io.now();
  let last = 0, shown = false;
  return {
    tick: (done: number, total: number) => {
      const now = io.now();
      if (now - start < 1000 || now - last < 200) return;
      last = now;
      shown = true;
      const f = Math.min(1, done / Math.max(1, total)), w = 30;
      io.err(`\rtokenizing [${"#".repeat(Math.round(f * w)).padEnd(w, ".")}] ${(100 * f).toFixed(0).padStart(3)}%`);
    },
    end: () => shown && io.err("\n"),
  };
};

export const runTokenize = async (a: TokenizeArgs, io: Io): Promise<E.Either<AppError, void>> => {
  if (a.tokens !== undefined && a.fraction !== undefined) {
    return E.left(
      appError("BadArgs", "Cannot run tokenize: --tokens and --fraction both choose the subset", "give one of them"),
    );
  }
  const corpus = await listCorpus(a.corpus);
  if (E.isLeft(corpus)) return corpus;
  const files = await findTokenizerFiles(undefined, undefined, a.tokenizer);
  if (E.isLeft(files)) return files;
  const tok = await loadTokenizerFiles(files.right, undefined)();
  if (E.isLeft(tok)) return tok;
  // Without a built worker entry (running from source under Node), the same encoding runs in this thread.
  const boundary = a.boundary ?? documentBoundary(tok.right),
    workers = (await workerEntry()) ? a.workers ?? defaultWorkers() : 0;
  const encoder = workers > 0
    ? await workerEncoder({ files: files.right, vocabSize: undefined, boundary }, workers)
    : E.right(undefined);
  if (E.isLeft(encoder)) return encoder;
  const bar = progressBar(io);
  const made = await tokenizeCorpus(corpus.right, tok.right, a.out, {
    field: a.field ?? "text",
    split: a.split ?? "paragraph",
    boundary,
    valFraction: a["val-fraction"] ?? 0.1,
    shardTokens: a["shard-tokens"] ?? 16 << 20,
    tokenizerSource: a.tokenizer,
    onProgress: bar.tick,
    encoder: encoder.right,
  })();
  await encoder.right?.close();
  bar.end();
  if (E.isLeft(made)) return made;
  let m = made.right;
  if (a.tokens !== undefined || a.fraction !== undefined) {
    const train = m.split.train[1], seed = a.seed ?? 0, chunk = a.chunk ?? 4096;
    const budget = a.tokens ?? Math.round(a.fraction! * train);
    const saved = await saveSubset(a.out, m, {
      seed,
      budget,
      chunk,
      ranges: selectSubset(train, budget, seed, chunk).map(([x, y]) => [x, y]),
    })();
    if (E.isLeft(saved)) return saved;
    m = saved.right;
  }
  io.out(
    a.json
      ? JSON.stringify(m, null, 1) + "\n"
      : `${a.out}: ${m.total_tokens.toLocaleString("en-US")} tokens (uint${
        8 * m.width
      }) from ${m.documents} documents in ${m.sources.length} file(s); ` +
        `train ${m.split.train[1].toLocaleString("en-US")}, validation ${
          (m.split.val[1] - m.split.val[0]).toLocaleString("en-US")
        }` +
        (m.subset !== null
          ? `; subset ${rangeTokens(m.subset.ranges).toLocaleString("en-US")} tokens (seed ${m.subset.seed})`
          : "") +
        "\n",
  );
  return E.right(undefined);
};
