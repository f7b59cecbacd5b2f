/**
 * llama2.c checkpoints with the "ak42" header (karpathy/llama2.c export.py, versions 1 and 2):
 * uint32 magic 0x616b3432, int32 version, the 7 int32 of the legacy header, uint8 shared_classifier,
 * (v2) int32 group_size, zero padding to 256 bytes. Then float32 rms_att (L,C), rms_ffn (L,C),
 * rms_final (C); then token_embedding, wq[0..L), wk, wv, wo, w1, w2, w3 (and wcls when not shared),
 * each matrix (out, in): v1 as float32; v2 as Q8_0, each tensor int8[n] then float32 scales[n/G]
 * for consecutive groups of G values, and is dequantised here to f32 as q·scale (runq.c).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { HEADER_FIELDS, headerToSpec, Llama2cHeader } from "../../core/codecs/llama2c_header.ts";
import { describeErrors } from "../../core/codecs/report.ts";
import { type AppError, appError } from "../../core/errors.ts";
import { type LlamaSpec, specProblems } from "../../core/model/spec.ts";
import { blockName, blockTensors, numel, type Weights } from "../../core/model/tensors.ts";

export const AK42_MAGIC = 0x616b3432;
const AK42_HEADER = 256;

export interface Ak42Model {
  readonly spec: LlamaSpec;
  readonly weights: Weights;
  readonly version: 1 | 2;
  readonly groupSize: number; // 0 for v1
}

export const decodeAk42 = (bytes: Uint8Array, source: string): E.Either<AppError, Ak42Model> => {
  const bad = (why: string) =>
    appError(
      "BadFile",
      `Cannot load llama2.c ak42 checkpoint ${source}: ${why}`,
      "the file is truncated or corrupt; export it again with llama2.c's export.py",
    );
  if (bytes.length < AK42_HEADER) return E.left(bad(`it has ${bytes.length} bytes, fewer than the 256-byte header`));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getInt32(4, true);
  if (version !== 1 && version !== 2) return E.left(bad(`version ${version} is not 1 (float32) or 2 (Q8_0)`));
  const raw = Object.fromEntries(HEADER_FIELDS.map((k, i) => [k, view.getInt32(8 + 4 * i, true)]));
  const h = Llama2cHeader.decode(raw);
  if (E.isLeft(h)) return E.left(bad(describeErrors(h.left)));
  if (h.right.vocab_size < 0) {
    return E.left(bad("vocab_size is negative; ak42 files mark the shared classifier with a flag"));
  }
  const shared = bytes[36] === 1;
  const spec: LlamaSpec = { ...headerToSpec(h.right), tiedHead: shared };
  const problems = specProblems(spec);
  if (problems.length > 0) return E.left(bad(problems.join("; ")));
  const G = version === 2 ? view.getInt32(37, true) : 0;
  if (version === 2 && !(G > 0)) return E.left(bad(`group size ${G} is not positive`));
  // Checked in float64 arithmetic before anything is allocated: a corrupt header can declare 2^31 layers.
  const want = expectedAk42Bytes(spec, version, G);
  if (want !== bytes.length) return E.left(bad(`the header implies ${want} bytes but the file has ${bytes.length}`));
  return readArrays(bytes, spec, version, G, bad);
};

/** File size the header implies: norms in f32, then every matrix as f32 (v1) or int8 + f32 scale per group (v2). */
export const expectedAk42Bytes = (s: LlamaSpec, version: 1 | 2, G: number): number => {
  const matrices = numel([s.vocabSize, s.nEmbd]) * (s.tiedHead ? 1 : 2) +
    s.nLayer * blockTensors(s).filter((t) => t.shape.length === 2).reduce((n, t) => n + numel(t.shape), 0);
  const norms = (2 * s.nLayer + 1) * s.nEmbd;
  return AK42_HEADER + 4 * norms + (version === 1 ? 4 * matrices : matrices + 4 * (matrices / G));
};

const readArrays = (
  bytes: Uint8Array,
  s: LlamaSpec,
  version: 1 | 2,
  G: number,
  bad: (why: string) => AppError,
): E.Either<AppError, Ak42Model> => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = AK42_HEADER;
  const f32 = (n: number): Float32Array | undefined => {
    if (off + 4 * n > bytes.length) return undefined;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(off + 4 * i, true);
    off += 4 * n;
    return out;
  };
  const q80 = (n: number): Float32Array | undefined => {
    if (n % G !== 0 || off + n + 4 * (n / G) > bytes.length) return undefined;
    const q = new Int8Array(bytes.buffer, bytes.byteOffset + off, n), out = new Float32Array(n);
    off += n;
    const scales = f32(n / G)!;
    for (let i = 0; i < n; i++) out[i] = q[i]! * scales[Math.floor(i / G)]!;
    return out;
  };
  const matrix = version === 2 ? q80 : f32;
  const shapes = new Map(blockTensors(s).map((t) => [t.name, numel(t.shape)]));
  const w: Record<string, Float32Array> = {};
  const take = (name: string, n: number, read: (n: number) => Float32Array | undefined): boolean => {
    const x = read(n);
    if (x !== undefined) w[name] = x;
    return x !== undefined;
  };
  const L = s.nLayer, C = s.nEmbd, V = s.vocabSize;
  const ok = [
    ...Array.from({ length: L }, (_, l) => () => take(blockName(l, "attnnorm"), C, f32)),
    ...Array.from({ length: L }, (_, l) => () => take(blockName(l, "ffnnorm"), C, f32)),
    () => take("normf", C, f32),
    () => take("wte", V * C, matrix),
    ...["wq", "wk", "wv", "wo", "w1", "w2", "w3"].flatMap((m) =>
      Array.from({ length: L }, (_, l) => () => take(blockName(l, m), shapes.get(m)!, matrix))
    ),
    ...(s.tiedHead ? [] : [() => take("lmhead", V * C, matrix)]),
  ].every((step) => step());
  if (!ok) {
    return E.left(bad(
      version === 2 && (C % G !== 0)
        ? `a tensor's size is not a multiple of the group size ${G}`
        : `the file ends before the weights the header implies (at byte ${off} of ${bytes.length})`,
    ));
  }
  if (off !== bytes.length) return E.left(bad(`${bytes.length - off} bytes follow the weights the header implies`));
  return E.right({ spec: s, weights: w, version, groupSize: G });
};
