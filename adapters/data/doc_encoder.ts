/**
 * Encoding documents in chunks, in this thread or in worker threads (_tokenize_worker.ts), with the
 * same result: a chunk of documents gives its ids concatenated and each document's count, BOS/EOS
 * placed as the boundary asks. Workers get chunks round-robin and answer in the order they were
 * sent (each handles its own in order), so the caller sees results in document order.
 * The worker entry is `tokenize_worker.mjs` beside the bundle (dist/, built by scripts/build.mjs)
 * or, from source, `_tokenize_worker.ts` under Deno (which runs TypeScript) and dist/'s under Node.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { type AppError, appError } from "../../core/errors.ts";
import { IdSink, type Tokenizer } from "../../core/text/tokenizer.ts";
import { isFile } from "../fs/files.ts";
import type { TokenizerFiles } from "../tokenizers/load.ts";

export type Boundary = "bos" | "eos" | "both";
export interface EncodedDocs {
  readonly ids: Uint32Array; // every document's ids, in order
  readonly counts: Uint32Array; // ids per document
}
export interface DocEncoder {
  readonly encodeDocs: (docs: ReadonlyArray<string>) => Promise<EncodedDocs>;
  readonly close: () => Promise<void>;
}

/** Encode a chunk with one tokenizer (what a worker runs on each message). */
export const encodeChunk = (tok: Tokenizer, boundary: Boundary, docs: ReadonlyArray<string>): EncodedDocs => {
  const opts = { bos: boundary !== "eos", eos: boundary !== "bos" }, counts = new Uint32Array(docs.length);
  if (tok.encodeInto !== undefined) { // the fast path: one buffer for the chunk, no number[] per document
    const sink = new IdSink(docs.reduce((n, d) => n + d.length, 0) / 3 + 2 * docs.length);
    docs.forEach((d, i) => {
      const before = sink.length;
      tok.encodeInto!(d, opts, sink);
      counts[i] = sink.length - before;
    });
    return { ids: sink.ids.subarray(0, sink.length), counts };
  }
  const parts = docs.map((d, i) => {
    const ids = tok.encode(d, opts);
    counts[i] = ids.length;
    return ids;
  });
  const ids = new Uint32Array(counts.reduce((a, b) => a + b, 0));
  let at = 0;
  for (const p of parts) for (let i = 0; i < p.length; i++) ids[at++] = p[i]!;
  return { ids, counts };
};

export const inThreadEncoder = (tok: Tokenizer, boundary: Boundary): DocEncoder => ({
  encodeDocs: (docs) => Promise.resolve(encodeChunk(tok, boundary, docs)),
  close: () => Promise.resolve(),
});

/** What a worker needs to build its own tokenizer (functions cannot cross threads). */
export interface WorkerSetup {
  readonly files: TokenizerFiles;
  readonly vocabSize: number | undefined;
  readonly boundary: Boundary;
}
export type WorkerReply =
  | { readonly _tag: "ready" }
  | { readonly _tag: "done"; readonly seq: number; readonly ids: Uint32Array; readonly counts: Uint32Array }
  | { readonly _tag: "failed"; readonly message: string };

export const defaultWorkers = (): number => availableParallelism();

/** The worker's entry file, if one is there to start. */
export const workerEntry = async (): Promise<URL | undefined> => {
  const candidates = [
    new URL("./tokenize_worker.mjs", import.meta.url), // beside the bundle
    ...("Deno" in globalThis ? [new URL("./_tokenize_worker.ts", import.meta.url)] : []),
    new URL("../../dist/tokenize_worker.mjs", import.meta.url), // from source under Node
  ];
  for (const u of candidates) if (await isFile(fileURLToPath(u))) return u;
  return undefined;
};

const noWorkers = (why: string) =>
  appError("IoFailure", `Cannot start tokenizer workers: ${why}`, "run `npm run build`, or pass --workers 0");

/** `n` workers, each with its own copy of the tokenizer; resolves once all have loaded it. */
export const workerEncoder = async (setup: WorkerSetup, n: number): Promise<E.Either<AppError, DocEncoder>> => {
  const entry = await workerEntry();
  if (entry === undefined) return E.left(noWorkers("tokenize_worker.mjs is not built"));
  const workers = Array.from({ length: n }, () => new Worker(entry, { workerData: setup }));
  const waiting = new Map<number, { ok: (r: EncodedDocs) => void; fail: (e: Error) => void }>();
  let seq = 0, broken: Error | undefined;
  const failAll = (e: Error) => {
    broken ??= e;
    for (const w of waiting.values()) w.fail(e);
    waiting.clear();
  };
  const ready = workers.map((w) =>
    new Promise<void>((resolve, reject) => {
      w.on("message", (m: WorkerReply) => {
        if (m._tag === "ready") return resolve();
        if (m._tag === "failed") return reject(new Error(m.message)), failAll(new Error(m.message));
        waiting.get(m.seq)?.ok({ ids: m.ids, counts: m.counts });
        waiting.delete(m.seq);
      });
      w.on("error", (e) => (reject(e), failAll(e)));
      w.on("exit", (code) => code !== 0 && failAll(new Error(`a tokenizer worker exited with code ${code}`)));
    })
  );
  const close = async () => void (await Promise.all(workers.map((w) => w.terminate())));
  try {
    await Promise.all(ready);
  } catch (e) {
    await close();
    return E.left(noWorkers(e instanceof Error ? e.message : String(e)));
  }
  return E.right({
    encodeDocs: (docs) =>
      new Promise<EncodedDocs>((ok, fail) => {
        if (broken !== undefined) return fail(broken);
        const k = seq++;
        waiting.set(k, { ok, fail });
        workers[k % n]!.postMessage({ seq: k, docs });
      }),
    close,
  });
};
