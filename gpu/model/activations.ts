/**
 * The activation buffers of one (B, T) shape, allocated once and reused by every forward of that
 * shape. Shapes (N = B·T): x, x2, xn (N, C); att (N, Q), Q = NH·D; qkv (N, Q + 2·KV); h (N, 2F) for SwiGLU's fused
 * gate|up or (N, F) for an ungated MLP (GPT-2, the rotary GELU kinds); g (N, F); mean, rstd (N); lse (B, NH, T); logits in row chunks of
 * (rows, V) that each fit one binding; losses (N); tokens, targets (N) i32. With Qwen3's q/k norms also
 * qkNorm.raw (N, Q + 2·KV), the pre-norm q|k heads, and qkNorm.rstd (N, NH + NKV).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { gatedMlp } from "../../core/model/features.ts";
import { ffnDim, kvDim, type ModelSpec, qDim } from "../../core/model/spec.ts";
import { type GpuError, gpuError } from "../engine/errors.ts";
import { rowsPerBinding } from "../engine/split.ts";
import { createTensor, destroyTensor, type DType, type GpuTensor } from "../engine/tensor.ts";

export interface Activations {
  readonly B: number;
  readonly T: number;
  readonly N: number;
  readonly f32: Readonly<
    Record<"x" | "x2" | "xn" | "att" | "qkv" | "h" | "g" | "mean" | "rstd" | "lse" | "losses", GpuTensor<"f32">>
  >;
  readonly tokens: GpuTensor<"i32">;
  readonly targets: GpuTensor<"i32">;
  /** Logits of rows [firstRow, firstRow + rows), each (rows, V). */
  readonly logits: ReadonlyArray<
    { readonly firstRow: number; readonly rows: number; readonly tensor: GpuTensor<"f32"> }
  >;
  readonly stream: ReadonlyArray<GpuTensor<"f32">>; // L + 1 tensors (N, C) when asked for, else empty
  readonly qkNorm?: { readonly raw: GpuTensor<"f32">; readonly rstd: GpuTensor<"f32"> }; // Qwen3 only
}

/** Element counts of the q/k norm's buffers (raw, rstd) for N rows, or none without q/k norms. */
export const qkNormSizes = (s: ModelSpec, N: number): ReadonlyArray<number> =>
  s._tag === "llama" && s.qkNorm === true ? [N * (qDim(s) + 2 * kvDim(s)), N * (s.nHead + s.nKvHead)] : [];

/** `logitBinding` bounds each logits chunk; `maxBinding` every other activation. */
export const createActivations = (
  device: GPUDevice,
  s: ModelSpec,
  B: number,
  T: number,
  stream: boolean,
  logitBinding: number,
  maxBinding: number,
): E.Either<GpuError, Activations> => {
  const N = B * T, C = s.nEmbd, F = ffnDim(s), V = s.vocabSize;
  const made: GpuTensor[] = [];
  const sizes: Record<string, number> = {
    x: N * C,
    x2: N * C,
    xn: N * C,
    att: N * qDim(s),
    qkv: N * (qDim(s) + 2 * kvDim(s)),
    h: N * (gatedMlp(s) ? 2 * F : F),
    g: N * F,
    mean: N,
    rstd: N,
    lse: N * s.nHead,
    losses: N,
  };
  const [rawSize, rstdSize] = qkNormSizes(s, N);
  const tooBig = [...Object.entries(sizes), ...(rawSize === undefined ? [] : [["qkNorm.raw", rawSize] as const])]
    .find(([, n]) => 4 * n > maxBinding);
  if (tooBig !== undefined) {
    return E.left(
      gpuError(
        "TooLarge",
        `Cannot hold activation ${tooBig[0]} of ${
          4 * tooBig[1]
        } bytes for batch ${B} × ${T}: one binding takes ${maxBinding}`,
        "use a smaller --batch or --ctx",
      ),
    );
  }
  const per = Math.min(
    N,
    rowsPerBinding({ rows: N, rowElements: V, bytesPerElement: 4, maxBindingBytes: logitBinding, offsetAlignment: 4 }),
  );
  if (per === 0) {
    return E.left(
      gpuError(
        "TooLarge",
        `Cannot hold one row of ${V} logits in a binding of ${logitBinding} bytes`,
        "the vocabulary is too large for this device",
      ),
    );
  }
  const make = <D extends DType>(name: string, n: number, dtype: D): GpuTensor<D> => {
    const t = createTensor(device, `act ${name} ${B}x${T}`, [n], dtype);
    if (E.isLeft(t)) throw t.left; // sizes were checked against the binding limit above
    made.push(t.right);
    return t.right;
  };
  try {
    const f32 = Object.fromEntries(Object.entries(sizes).map(([k, n]) => [k, make(k, n, "f32")])) as Activations["f32"];
    const logits = Array.from({ length: Math.ceil(N / per) }, (_, i) => {
      const rows = Math.min(per, N - i * per);
      return { firstRow: i * per, rows, tensor: make(`logits[${i}]`, rows * V, "f32") };
    });
    return E.right({
      B,
      T,
      N,
      f32,
      logits,
      tokens: make("tokens", N, "i32"),
      targets: make("targets", N, "i32"),
      stream: stream ? Array.from({ length: s.nLayer + 1 }, (_, k) => make(`stream[${k}]`, N * C, "f32")) : [],
      ...(rawSize === undefined || rstdSize === undefined
        ? {}
        : { qkNorm: { raw: make("qkNorm.raw", rawSize, "f32"), rstd: make("qkNorm.rstd", rstdSize, "f32") } }),
    });
  } catch (e) {
    made.forEach(destroyTensor);
    return E.left(e as GpuError);
  }
};

export const destroyActivations = (a: Activations): void =>
  [
    ...Object.values(a.f32),
    a.tokens,
    a.targets,
    ...a.logits.map((l) => l.tensor),
    ...a.stream,
    ...(a.qkNorm === undefined ? [] : [a.qkNorm.raw, a.qkNorm.rstd]),
  ].forEach(destroyTensor);
