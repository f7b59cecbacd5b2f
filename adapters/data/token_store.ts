/**
 * A tokenized corpus on disk: token shards (core/train/token_shards.ts) plus `tokens.json`, the manifest:
 * tokenizer, width, shards and their counts, documents, the train/validation split and an optional
 * default subset. Written once, streaming, into a temporary directory renamed into place; read back as
 * streamed chunks of any token ranges, through file handles (never the whole corpus in memory).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import * as t from "io-ts";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { describeErrors } from "../../core/codecs/report.ts";
import { type AppError, appError } from "../../core/errors.ts";
import type { Tokenizer } from "../../core/text/tokenizer.ts";
import { decodeShardHeader, type Range, SHARD_HEADER_BYTES, widthFor } from "../../core/train/token_shards.ts";
import { ioFailure, tempBeside, writeBytesAtomic } from "../fs/atomic_write.ts";
import { type CorpusFiles, type CorpusOptions, documents } from "./corpus.ts";
import { type Boundary, type DocEncoder, type EncodedDocs, inThreadEncoder } from "./doc_encoder.ts";
import type { DocIndex } from "./doc_index.ts";
import { docStartLog, shardWriter } from "./shard_writer.ts";
import { readExactly, readText } from "../fs/files.ts";

export const MANIFEST = "tokens.json";
const DOC_STARTS = "doc_starts.tmp"; // scratch, removed before the directory is renamed into place
const MAX_IN_FLIGHT = 8; // chunks sent and not yet written: enough to keep every worker busy
const RangeC = t.tuple([t.number, t.number]);
const SubsetC = t.type({ seed: t.number, budget: t.number, chunk: t.number, ranges: t.array(RangeC) });
/** How a subset chosen by document was chosen (core/select/select_docs.ts), so runs can be compared. */
const SelectionC = t.type({
  strategy: t.keyof({ random: null, "ppl-low": null, "ppl-mid": null, "ppl-high": null }),
  dedup: t.boolean,
  reference: t.union([t.null, t.string]), // the model that scored the documents
  scored_tokens: t.union([t.null, t.number]), // next-token predictions scored per document at most
  documents: t.number, // chosen
  candidates: t.number, // after dedup (and, for a band, with a score)
  duplicates: t.number,
  band: t.union([t.null, t.type({ quantiles: RangeC, nll: RangeC })]),
  mean_nll: t.union([t.null, t.number]), // token-weighted mean reference loss of the chosen tokens
  pool_mean_nll: t.union([t.null, t.number]), // the same over every scored training document
});
export type SelectionRecord = t.TypeOf<typeof SelectionC>;
export const Manifest = t.type({
  format: t.literal("inheritune-tokens"),
  version: t.literal(1),
  tokenizer: t.type({ source: t.string, vocab_size: t.number, bos: t.number, eos: t.number }),
  width: t.union([t.literal(2), t.literal(4)]),
  boundary: t.keyof({ bos: null, eos: null, both: null }),
  sources: t.array(t.string),
  documents: t.number,
  total_tokens: t.number,
  shards: t.array(t.type({ file: t.string, tokens: t.number })),
  split: t.type({ train: RangeC, val: RangeC, val_fraction: t.number }),
  subset: t.union([t.null, t.intersection([SubsetC, t.partial({ selection: SelectionC })])]),
}, "TokenManifest");
export type Manifest = t.TypeOf<typeof Manifest>;

export interface TokenizeOptions extends CorpusOptions {
  readonly boundary: Boundary;
  readonly valFraction: number;
  readonly shardTokens: number;
  readonly tokenizerSource: string;
  readonly onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /** Where documents are encoded (worker threads); default: this thread, with `tok`. */
  readonly encoder?: DocEncoder;
  /** Characters of text per chunk sent to the encoder (default 1M); tokens buffered per shard write (default 1M). */
  readonly chunkChars?: number;
  readonly bufferTokens?: number;
  /** Collects each document's start and text hash, for choosing a subset by document. */
  readonly docIndex?: DocIndex;
}

/**
 * Tokenize a corpus into `out` (which must not exist); returns the manifest (subset null). Streams:
 * documents are read, sent in chunks to the encoder with a few chunks in flight, and written in
 * document order as they come back, so memory stays bounded whatever the corpus's size, and the
 * bytes written are the same for any encoder, worker count and chunk size.
 */
export const tokenizeCorpus =
  (c: CorpusFiles, tok: Tokenizer, out: string, o: TokenizeOptions): TE.TaskEither<AppError, Manifest> => async () => {
    if (await stat(out).catch(() => undefined)) {
      return E.left(
        appError(
          "IoFailure",
          `Cannot write tokens to ${out}: it exists`,
          "choose a new --out directory or remove that one",
        ),
      );
    }
    const tmp = tempBeside(out),
      width = widthFor(tok.vocabSize),
      encoder = o.encoder ?? inThreadEncoder(tok, o.boundary);
    const shards = shardWriter(tmp, width, o.shardTokens, o.bufferTokens), starts = docStartLog(join(tmp, DOC_STARTS));
    const inFlight: Array<{ readonly done: Promise<EncodedDocs>; readonly bytes: number }> = [];
    let total = 0, docs = 0, batch: string[] = [], chars = 0;
    const write = async ({ done, bytes }: (typeof inFlight)[number]) => {
      const r = await done;
      for (const n of r.counts) o.docIndex?.start(total), await starts.add(total), total += n, docs++;
      await shards.push(r.ids);
      o.onProgress?.(bytes, c.bytes);
    };
    const send = async (bytes: number) => {
      if (batch.length === 0) return;
      const done = encoder.encodeDocs(batch);
      done.catch(() => undefined); // awaited in order below; this only marks a failure while queued as handled
      inFlight.push({ done, bytes });
      [batch, chars] = [[], 0];
      if (inFlight.length > MAX_IN_FLIGHT) await write(inFlight.shift()!);
    };
    try {
      await mkdir(tmp, { recursive: true });
      let bytes = 0;
      for await (const ev of documents(c, o)) {
        if (ev._tag === "error") throw ev.error;
        batch.push(ev.text);
        o.docIndex?.text(ev.text);
        [chars, bytes] = [chars + ev.text.length, ev.bytes];
        if (chars >= (o.chunkChars ?? 1 << 20)) await send(bytes);
      }
      await send(bytes);
      while (inFlight.length > 0) await write(inFlight.shift()!);
      await shards.end();
      const cut = await starts.validationStart(total, o.valFraction);
      await starts.remove();
      const manifest: Manifest = {
        format: "inheritune-tokens",
        version: 1,
        tokenizer: { source: o.tokenizerSource, vocab_size: tok.vocabSize, bos: tok.bos, eos: tok.eos },
        width,
        boundary: o.boundary,
        sources: [...c.files],
        documents: docs,
        total_tokens: total,
        shards: shards.shards,
        split: { train: [0, cut], val: [cut, total], val_fraction: o.valFraction },
        subset: null,
      };
      await writeManifest(tmp, manifest);
      await rename(tmp, out);
      return E.right(manifest);
    } catch (e) {
      await Promise.allSettled(inFlight.map((f) => f.done));
      await shards.abort();
      await starts.remove();
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      return E.left(typeof e === "object" && e !== null && "_tag" in e ? (e as AppError) : ioFailure("tokens", out, e));
    }
  };

const writeManifest = async (dir: string, m: Manifest) => {
  const r = await writeBytesAtomic(
    join(dir, MANIFEST),
    "token manifest",
    new TextEncoder().encode(JSON.stringify(m, null, 1) + "\n"),
  )();
  if (E.isLeft(r)) throw r.left;
};

/** Record a default subset in an existing manifest (atomically). */
export const saveSubset =
  (dir: string, m: Manifest, subset: Manifest["subset"]): TE.TaskEither<AppError, Manifest> => async () => {
    try {
      await writeManifest(dir, { ...m, subset });
      return E.right({ ...m, subset });
    } catch (e) {
      return E.left(e as AppError);
    }
  };

export const loadManifest = (dir: string): TE.TaskEither<AppError, Manifest> => async () => {
  const text = await readText(join(dir, MANIFEST), "token manifest")();
  if (E.isLeft(text)) return text;
  const bad = (why: string) =>
    appError(
      "BadFile",
      `Cannot read token manifest ${join(dir, MANIFEST)}: ${why}`,
      "tokenize the corpus again with `inheritune tokenize`",
    );
  let json: unknown;
  try {
    json = JSON.parse(text.right);
  } catch {
    return E.left(bad("it is not valid JSON"));
  }
  const m = Manifest.decode(json);
  if (E.isLeft(m)) return E.left(bad(describeErrors(m.left)));
  if (m.right.shards.reduce((n, s) => n + s.tokens, 0) !== m.right.total_tokens) {
    return E.left(bad("its shard counts do not add up to total_tokens"));
  }
  const problem = manifestProblem(m.right);
  return problem === undefined ? E.right(m.right) : E.left(bad(problem));
};

const count = (n: number) => Number.isSafeInteger(n) && n >= 0;
const within = ([a, b]: Range, lo: number, hi: number) => count(a) && count(b) && lo <= a && a <= b && b <= hi;

/** What the codec cannot say: counts are integers, ranges lie inside the corpus, shard names are plain. */
const manifestProblem = (m: Manifest): string | undefined => {
  const N = m.total_tokens, [, cut] = m.split.train;
  const shard = m.shards.find((s) => !count(s.tokens) || !/^[\w.-]+$/.test(s.file) || s.file.startsWith(".."));
  if (shard !== undefined) {
    return `shard ${
      JSON.stringify(shard.file)
    } with ${shard.tokens} tokens is not a plain file name with a token count`;
  }
  if (!count(N) || !count(m.documents)) {
    return `total_tokens ${N} or documents ${m.documents} is not a non-negative integer`;
  }
  if (
    !within(m.split.train, 0, N) || !within(m.split.val, 0, N) || m.split.train[0] !== 0 || m.split.val[0] !== cut ||
    m.split.val[1] !== N
  ) {
    return `its split train [${m.split.train.join(", ")}) val [${m.split.val.join(", ")}) does not cut [0, ${N})`;
  }
  const r = m.subset?.ranges.find((x, i, all) => !within(x, i === 0 ? 0 : all[i - 1]![1], cut));
  return r === undefined
    ? undefined
    : `its subset range [${r.join(", ")}) is not sorted inside the training split [0, ${cut})`;
};

/** Each shard's size on disk against the manifest, before any token buffer is allocated for it. */
export const checkShardFiles = (dir: string, m: Manifest): TE.TaskEither<AppError, void> => async () => {
  for (const s of m.shards) {
    const path = join(dir, s.file), size = (await stat(path).catch(() => undefined))?.size;
    if (size !== SHARD_HEADER_BYTES + s.tokens * m.width) {
      return E.left(
        appError(
          "BadFile",
          `Cannot read token shard ${path}: ${
            size === undefined
              ? "no such file"
              : `it has ${size} bytes, ${MANIFEST} implies ${SHARD_HEADER_BYTES + s.tokens * m.width}`
          }`,
          "tokenize the corpus again",
        ),
      );
    }
  }
  return E.right(undefined);
};

/** Stream the tokens of `ranges` (sorted, within the corpus) in chunks of at most `chunk` tokens. */
export async function* readTokens(
  dir: string,
  m: Manifest,
  ranges: ReadonlyArray<Range>,
  chunk = 1 << 16,
): AsyncGenerator<E.Either<AppError, Uint16Array | Uint32Array>> {
  let base = 0;
  for (const s of m.shards) {
    const lo = base, hi = base + s.tokens;
    base = hi;
    const parts = ranges.map(([a, b]) => [Math.max(a, lo), Math.min(b, hi)] as const).filter(([a, b]) => a < b);
    if (parts.length === 0) continue;
    const path = join(dir, s.file), fh = await open(path, "r").catch(() => undefined);
    if (fh === undefined) {
      return yield E.left(
        appError("BadFile", `Cannot read token shard ${path}: no such file`, "tokenize the corpus again"),
      );
    }
    try {
      const head = new Uint8Array(SHARD_HEADER_BYTES);
      const size = (await readExactly(fh, head, 0)) ? (await fh.stat()).size : 0;
      const h = decodeShardHeader(size > 0 ? head : new Uint8Array(0), size, path);
      if (E.isLeft(h)) return yield h;
      if (h.right.count !== s.tokens || h.right.width !== m.width) {
        return yield E.left(
          appError(
            "BadFile",
            `Cannot read token shard ${path}: it disagrees with ${MANIFEST}`,
            "tokenize the corpus again",
          ),
        );
      }
      for (const [a, b] of parts) {
        for (let p = a; p < b; p += chunk) {
          const n = Math.min(chunk, b - p), out = m.width === 2 ? new Uint16Array(n) : new Uint32Array(n);
          if (!(await readExactly(fh, new Uint8Array(out.buffer), SHARD_HEADER_BYTES + (p - lo) * m.width))) {
            return yield E.left(
              appError("BadFile", `Cannot read token shard ${path}: it ends early`, "tokenize the corpus again"),
            );
          }
          yield E.right(out);
        }
      }
    } finally {
      await fh.close();
    }
  }
}
