/**
 * A tokenizer worker thread (doc_encoder.ts starts it; scripts/build.mjs bundles it as
 * dist/tokenize_worker.mjs): loads its own copy of the tokenizer from the files named in
 * workerData, says "ready", then answers each chunk of documents, in the order they come, with
 * their ids and per-document counts (the buffers are transferred, not copied).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { parentPort, workerData } from "node:worker_threads";
import { loadTokenizerFiles } from "../tokenizers/load.ts";
import { encodeChunk, type WorkerReply, type WorkerSetup } from "./doc_encoder.ts";

const setup = workerData as WorkerSetup, port = parentPort!;
const reply = (m: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const tok = await loadTokenizerFiles(setup.files, setup.vocabSize)();
if (E.isLeft(tok)) reply({ _tag: "failed", message: tok.left.message });
else {
  port.on("message", ({ seq, docs }: { seq: number; docs: string[] }) => {
    try {
      const r = encodeChunk(tok.right, setup.boundary, docs);
      reply({ _tag: "done", seq, ids: r.ids, counts: r.counts }, [
        r.ids.buffer as ArrayBuffer,
        r.counts.buffer as ArrayBuffer,
      ]);
    } catch (e) {
      reply({ _tag: "failed", message: e instanceof Error ? e.message : String(e) });
    }
  });
  reply({ _tag: "ready" });
}
