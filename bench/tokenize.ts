/**
 * Tokenizing throughput: `benchTokenize(corpus, tokenizer)` runs what `inheritune tokenize` runs
 * (worker threads, streaming shards into a scratch directory, removed afterwards) and returns the
 * tokens written, the wall-clock seconds (tokenizer loading and worker start included), tokens/s
 * and the peak resident memory of this process while it ran (sampled every 20 ms; the workers are
 * threads of this process, so they are counted). Needs dist/tokenize_worker.mjs under Node
 * (`npm run build`, which `npm run bench` runs).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listCorpus } from "../adapters/data/corpus.ts";
import { defaultWorkers, workerEncoder } from "../adapters/data/doc_encoder.ts";
import { tokenizeCorpus } from "../adapters/data/token_store.ts";
import { findTokenizerFiles, loadTokenizerFiles } from "../adapters/tokenizers/load.ts";

export interface TokenizeBench {
  readonly tokens: number;
  readonly seconds: number;
  readonly tokensPerSecond: number;
  readonly maxRssBytes: number;
}

const orThrow = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message);
  return e.right;
};

export const benchTokenize = async (
  corpusPath: string,
  tokenizerPath: string,
  workers = defaultWorkers(),
): Promise<TokenizeBench> => {
  let maxRss = process.memoryUsage.rss();
  const sampler = setInterval(() => void (maxRss = Math.max(maxRss, process.memoryUsage.rss())), 20);
  const out = join(tmpdir(), `inheritune-bench-tokens-${process.pid}-${Date.now()}`), t0 = performance.now();
  try {
    const corpus = orThrow(await listCorpus(corpusPath));
    const files = orThrow(await findTokenizerFiles(undefined, undefined, tokenizerPath));
    const tok = orThrow(await loadTokenizerFiles(files, undefined)());
    const encoder = workers > 0
      ? orThrow(await workerEncoder({ files, vocabSize: undefined, boundary: "bos" }, workers))
      : undefined;
    const m = await tokenizeCorpus(corpus, tok, out, {
      field: "text",
      split: "paragraph",
      boundary: "bos",
      valFraction: 0.1,
      shardTokens: 16 << 20,
      tokenizerSource: tokenizerPath,
      encoder,
    })();
    await encoder?.close();
    const seconds = (performance.now() - t0) / 1000, tokens = orThrow(m).total_tokens;
    maxRss = Math.max(maxRss, process.memoryUsage.rss());
    return { tokens, seconds, tokensPerSecond: tokens / seconds, maxRssBytes: maxRss };
  } finally {
    clearInterval(sampler);
    await rm(out, { recursive: true, force: true });
  }
};
