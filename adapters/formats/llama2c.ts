/**
 * llama2.c checkpoints (karpathy/llama2.c run.c, legacy format "v0"): a 7-int32 header
 * (core/codecs/llama2c_header.ts), then float32 arrays, little-endian, each matrix (out, in):
 *   token_embedding (V,C) | rms_att (L,C) | wq (L,C,C) | wk (L,KV,C) | wv (L,KV,C) | wo (L,C,C)
 *   | rms_ffn (L,C) | w1 (L,F,C) | w2 (L,C,F) | w3 (L,F,C) | rms_final (C)
 *   | freq_cis_real (P,D/2) | freq_cis_imag (P,D/2) (unused: recomputed) | wcls (V,C) if untied.
 * The file length must equal what the header implies exactly: a truncated or padded file is refused.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { decodeLlama2cHeader, HEADER_BYTES } from "../../core/codecs/llama2c_header.ts";
import { type AppError, appError } from "../../core/errors.ts";
import { ffnDim, headDim, kvDim, type LlamaSpec } from "../../core/model/spec.ts";
import { blockName, type Weights } from "../../core/model/tensors.ts";
import { readBytes } from "../fs/files.ts";

export interface LoadedModel {
  readonly spec: LlamaSpec;
  readonly weights: Weights;
}

const V2_MAGIC = 0x616b3432; // "ak42": llama2.c export.py --version 1/2

/** The arrays in file order: name in our layout (per layer or global) and floats per layer. */
const layout = (s: LlamaSpec) => {
  const C = s.nEmbd, KV = kvDim(s), F = ffnDim(s), L = s.nLayer;
  const perLayer = (name: string, n: number) => ({ name, perLayer: true, n, total: L * n });
  const global = (name: string, n: number) => ({ name, perLayer: false, n, total: n });
  return [
    global("wte", s.vocabSize * C),
    perLayer("attnnorm", C),
    perLayer("wq", C * C),
    perLayer("wk", KV * C),
    perLayer("wv", KV * C),
    perLayer("wo", C * C),
    perLayer("ffnnorm", C),
    perLayer("w1", F * C),
    perLayer("w2", C * F),
    perLayer("w3", F * C),
    global("normf", C),
    global("freq_cis", s.blockSize * headDim(s)),
    ...(s.tiedHead ? [] : [global("lmhead", s.vocabSize * C)]),
  ];
};

export const expectedBytes = (s: LlamaSpec): number => HEADER_BYTES + 4 * layout(s).reduce((n, a) => n + a.total, 0);

/** Decode a whole checkpoint file held in memory. */
export const decodeLlama2c = (bytes: Uint8Array, source: string): E.Either<AppError, LoadedModel> => {
  const bad = (why: string, hint: string) =>
    appError("BadFile", `Cannot load llama2.c checkpoint ${source}: ${why}`, hint);
  if (bytes.length < HEADER_BYTES) {
    return E.left(
      bad(`the file has ${bytes.length} bytes, fewer than the 28-byte header`, "the file is truncated; copy it again"),
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) === V2_MAGIC) {
    return E.left(
      bad(
        'it is a llama2.c v1/v2 ("ak42") export, not the legacy float32 format',
        "re-export with `export.py --version 0`",
      ),
    );
  }
  const ints = Array.from({ length: 7 }, (_, i) => view.getInt32(4 * i, true));
  return pipe(
    decodeLlama2cHeader(ints, source),
    E.chain((spec) => {
      const want = expectedBytes(spec);
      return want === bytes.length ? E.right(spec) : E.left(
        bad(
          `the header (${ints.join(", ")}) implies ${want} bytes but the file has ${bytes.length}`,
          want > bytes.length
            ? "the file is truncated; copy it again"
            : "the header does not match the data; is it another format?",
        ),
      );
    }),
    E.chain((spec) => {
      const floats = new Float32Array(bytes.slice(HEADER_BYTES).buffer); // aligned copy; little-endian hosts only
      if (floats.some((v) => !Number.isFinite(v))) {
        return E.left(bad("it holds NaN or infinite weights", "the file is corrupt; copy it again"));
      }
      return E.right({ spec, weights: splitArrays(spec, floats) });
    }),
  );
};

const splitArrays = (s: LlamaSpec, floats: Float32Array): Weights => {
  const w: Record<string, Float32Array> = {};
  let off = 0;
  for (const a of layout(s)) {
    for (let l = 0; l < (a.perLayer ? s.nLayer : 1); l++) {
      if (a.name !== "freq_cis") {
        w[a.perLayer ? blockName(l, a.name) : a.name] = floats.slice(off + l * a.n, off + (l + 1) * a.n);
      }
    }
    off += a.total;
  }
  return w;
};

export const loadLlama2c = (path: string): TE.TaskEither<AppError, LoadedModel> =>
  pipe(readBytes(path, "llama2.c checkpoint"), TE.chainEitherK((b) => decodeLlama2c(b, path)));
