/**
 * A model's weights on the device, uploaded once, in the layout the forward kernels read:
 * Llama's wq, wk, wv fused into one (Q + 2·KV, C) matrix (Q = NH·D) and w1 (gate), w3 (up) into (2F, C), so
 * each is one matmul; GPT-2's qkvw is already fused. Their biases fuse alike: bq|bk|bv into bqkv (Q + 2·KV), b1|b3
 * into b13 (2F); an ungated MLP keeps w1 (and b1) as they are. Rotary cos/sin tables (P, D/2) are built here,
 * in float64 then rounded, from core's ropeAngle (with the spec's rope scaling, if any).
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { ropeAngle } from "../../core/ops/rope.ts";
import { gatedMlp, layerNormKind, rotaryBiases } from "../../core/model/features.ts";
import { ffnDim, isTied, kvDim, type ModelSpec, parallelResidual, qDim, rotaryDims } from "../../core/model/spec.ts";
import { allTensors, blockName, unsafeTensor, type Weights } from "../../core/model/tensors.ts";
import type { GpuError } from "../engine/errors.ts";
import { createTensor, destroyTensor, type GpuTensor, upload } from "../engine/tensor.ts";

export type DeviceWeights = Readonly<Record<string, GpuTensor<"f32">>>;

const concatRows = (...parts: Float32Array[]): Float32Array => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((off, p) => (out.set(p, off), off + p.length), 0);
  return out;
};

/** The arrays to upload, by device name: the spec's tensors, fused where the kernels want it. */
export const deviceArrays = (s: ModelSpec, w: Weights): ReadonlyArray<readonly [string, Float32Array]> => {
  const T = (n: string) => unsafeTensor(w, n);
  const globals = Object.keys(w).filter((k) => !k.startsWith("h.")).map((k) => [k, T(k)] as const);
  const blocks = Array.from({ length: s.nLayer }, (_, i) => {
    const B = (n: string) => T(blockName(i, n));
    const own = (names: string[]) => names.map((n) => [blockName(i, n), B(n)] as const);
    return s._tag === "gpt2"
      ? own([
        "ln1w",
        "ln1b",
        "qkvw",
        "qkvb",
        "attprojw",
        "attprojb",
        "ln2w",
        "ln2b",
        "fcw",
        "fcb",
        "fcprojw",
        "fcprojb",
      ])
      : [
        ...own(
          ["attnnorm", "wo", "ffnnorm", "w2", ...(s.qkNorm === true ? ["qnorm", "knorm"] : [])].filter((n) =>
            n !== "ffnnorm" || hasFfnNorm(s)
          ),
        ),
        [blockName(i, "wqkv"), concatRows(B("wq"), B("wk"), B("wv"))] as const,
        ...(gatedMlp(s) ? [[blockName(i, "w13"), concatRows(B("w1"), B("w3"))] as const] : own(["w1"])),
        ...rotaryBlockBiases(s, i, B),
      ];
  }).flat();
  return [...globals, ...blocks, ...ropeTables(s)];
};

/** A rotary block's norm and linear biases, by device name (gated MLPs' b1|b3 fused as w1|w3 are). */
const rotaryBlockBiases = (s: ModelSpec, i: number, B: (n: string) => Float32Array) => {
  const b = rotaryBiases(s), n = (name: string) => blockName(i, name), gated = gatedMlp(s);
  return [
    ...(layerNormKind(s) ? [[n("attnnormb"), B("attnnormb")] as const] : []),
    ...(layerNormKind(s) && hasFfnNorm(s) ? [[n("ffnnormb"), B("ffnnormb")] as const] : []),
    ...(b.qkv ? [[n("bqkv"), concatRows(B("bq"), B("bk"), B("bv"))] as const] : []),
    ...(b.out ? [[n("bo"), B("bo")] as const] : []),
    ...(b.mlp ? [[n(gated ? "b13" : "b1"), gated ? concatRows(B("b1"), B("b3")) : B("b1")] as const] : []),
    ...(b.mlp ? [[n("b2"), B("b2")] as const] : []),
  ];
};

/** Phi-2's parallelShared residual has one norm per block (core/model/tensors.ts): no ffnnorm. */
const hasFfnNorm = (s: ModelSpec): boolean => parallelResidual(s) !== "parallelShared";

/** cos and sin of every (position, pair) angle, (P, R/2) each (R = D unless partial rotary); empty for GPT-2. */
const ropeTables = (s: ModelSpec): ReadonlyArray<readonly [string, Float32Array]> => {
  if (s._tag !== "llama") return [];
  const R = rotaryDims(s), half = R / 2;
  const cos = new Float32Array(s.blockSize * half), sin = new Float32Array(s.blockSize * half);
  for (let p = 0; p < s.blockSize; p++) {
    for (let j = 0; j < half; j++) {
      const a = ropeAngle(p, j, R, s.ropeTheta, s.ropeScaling);
      cos[p * half + j] = Math.cos(a);
      sin[p * half + j] = Math.sin(a);
    }
  }
  return [["rope.cos", cos], ["rope.sin", sin]];
};

export const uploadWeights = (device: GPUDevice, s: ModelSpec, w: Weights): E.Either<GpuError, DeviceWeights> => {
  const out: Record<string, GpuTensor<"f32">> = {};
  for (const [name, data] of deviceArrays(s, w)) {
    const t = createTensor(device, `weight ${name}`, [data.length], "f32");
    if (E.isLeft(t)) {
      Object.values(out).forEach(destroyTensor);
      return t;
    }
    upload(device, t.right, data);
    out[name] = t.right;
  }
  return E.right(out);
};

/** The inverse of deviceArrays for trainable tensors: fused matrices split back into core names. */
export const hostArrays = (s: ModelSpec, dev: Readonly<Record<string, Float32Array>>): Weights => {
  const out: Record<string, Float32Array> = {};
  const C = s.nEmbd, Q = qDim(s), KV = kvDim(s), F = ffnDim(s);
  for (const [name, a] of Object.entries(dev)) {
    if (name.startsWith("rope.")) continue;
    const m = /^h\.(\d+)\.(wqkv|w13|bqkv|b13)$/.exec(name);
    if (m === null) out[name] = a;
    else if (m[2] === "wqkv" || m[2] === "bqkv") {
      const i = Number(m[1]), c = m[2] === "wqkv" ? C : 1, x = m[2][0]!;
      out[blockName(i, `${x}q`)] = a.slice(0, Q * c);
      out[blockName(i, `${x}k`)] = a.slice(Q * c, (Q + KV) * c);
      out[blockName(i, `${x}v`)] = a.slice((Q + KV) * c);
    } else {
      const i = Number(m[1]), c = m[2] === "w13" ? C : 1, x = m[2]![0]!;
      out[blockName(i, `${x}1`)] = a.slice(0, F * c);
      out[blockName(i, `${x}3`)] = a.slice(F * c);
    }
  }
  return out;
};

/** Whether a device tensor gets weight decay: fused matrices do; otherwise as its core shape says. */
export const deviceDecays = (s: ModelSpec, name: string): boolean =>
  /\.(wqkv|w13)$/.test(name) || (allTensors(s).find((t) => t.name === name)?.shape.length ?? 1) >= 2;

/** The device names of block i's tensors, per family (Llama's are fused: wqkv, w13). */
export const blockWeightNames = (s: ModelSpec, i: number) => {
  const n = (name: string) => blockName(i, name);
  return s._tag === "gpt2"
    ? {
      norm1: n("ln1w"),
      norm1b: n("ln1b"),
      qkv: n("qkvw"),
      qkvb: n("qkvb"),
      proj: n("attprojw"),
      projb: n("attprojb"),
      norm2: n("ln2w"),
      norm2b: n("ln2b"),
      up: n("fcw"),
      upb: n("fcb"),
      down: n("fcprojw"),
      downb: n("fcprojb"),
    }
    : rotaryBlockWeightNames(s, n);
};

/** The device names of a rotary block's tensors: biases only where the spec has them (rotaryBlockBiases). */
const rotaryBlockWeightNames = (s: ModelSpec, n: (name: string) => string) => {
  const b = rotaryBiases(s), ln = layerNormKind(s), gated = gatedMlp(s);
  return {
    norm1: n("attnnorm"),
    norm1b: ln ? n("attnnormb") : undefined,
    qkv: n("wqkv"),
    qkvb: b.qkv ? n("bqkv") : undefined,
    proj: n("wo"),
    projb: b.out ? n("bo") : undefined,
    norm2: n("ffnnorm"),
    norm2b: ln ? n("ffnnormb") : undefined,
    up: n(gated ? "w13" : "w1"),
    upb: b.mlp ? n(gated ? "b13" : "b1") : undefined,
    down: n("w2"),
    downb: b.mlp ? n("b2") : undefined,
  };
};

/** The device names of the final norm and the LM head. */
export const headWeightNames = (s: ModelSpec) => ({
  norm: s._tag === "gpt2" ? "lnfw" : "normf",
  normb: s._tag === "gpt2" ? "lnfb" : layerNormKind(s) ? "normfb" : undefined,
  head: isTied(s) ? "wte" : "lmhead",
  headb: rotaryBiases(s).head ? "lmheadb" : undefined,
});
