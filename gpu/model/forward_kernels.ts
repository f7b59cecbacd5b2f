/**
 * The forward kernels of both families, compiled once per device, for one kernel profile
 * (gpu/kernels/profile.ts): `matmul` is the scalar linear kernel that takes any shape, `matmulFast` the
 * profile's own for shapes in multiples of 4 (reading Wᵀ, which `transpose` derives), `matmulFastStrided` the
 * same sums for O a multiple of 4 at any row stride of y (gpu/kernels/matmul/matmul_strided.ts). Attention
 * is compiled for the model's head dim (gpu/kernels/attention/attention.ts headDimVariant), in the "lanes"
 * build for both lanes profiles. The packed kernels (embedding, rope and attention over spans, for sequences packed
 * side by side: gpu/eval/packed_forward.ts) are compiled apart, only where a packed pass is recorded.
 * @module
 */
import * as TE from "fp-ts/lib/TaskEither.js";
import { pipe } from "fp-ts/lib/function.js";
import type { CompiledKernel, KernelCache } from "../engine/compile.ts";
import type { GpuError } from "../engine/errors.ts";
import type { AnyKernel } from "../engine/kernel.ts";
import { gegluForward, geluErfForward, geluForward, swigluForward } from "../kernels/activations.ts";
import {
  attentionForward,
  attentionForwardLanes,
  attentionSpans,
  attentionSpansLanes,
  headDimVariant,
} from "../kernels/attention/attention.ts";
import { crossEntropyForward } from "../kernels/cross_entropy.ts";
import { embedAtPositions, embedForward, embedScale } from "../kernels/embed.ts";
import { kvAppend } from "../kernels/kv_append.ts";
import { matmulForward } from "../kernels/matmul/matmul.ts";
import { matmulForwardLanes, matmulForwardLanes16 } from "../kernels/matmul/matmul_lanes.ts";
import {
  matmulForwardLanes16Strided,
  matmulForwardLanesStrided,
  matmulForwardTiledStrided,
  matmulForwardVec4Strided,
} from "../kernels/matmul/matmul_strided.ts";
import { matmulForwardTiled } from "../kernels/matmul/matmul_tiled.ts";
import { matmulForwardVec4 } from "../kernels/matmul/matmul_vec4.ts";
import { layerNormForward, rmsNormForward } from "../kernels/norms/norms.ts";
import { headNormForward } from "../kernels/norms/head_norm.ts";
import { ropeAtPositions, ropeForward } from "../kernels/rope.ts";
import { transpose } from "../kernels/transpose.ts";
import { type KernelProfile, sharesLanes } from "../kernels/profile.ts";

const common = {
  embed: embedForward,
  layerNorm: layerNormForward,
  rmsNorm: rmsNormForward,
  matmul: matmulForward,
  transpose,
  rope: ropeForward,
  attention: attentionForward,
  kvAppend,
  gelu: geluForward,
  geluErf: geluErfForward,
  swiglu: swigluForward,
  crossEntropy: crossEntropyForward,
  // the rotary families beyond Llama 2 (core/model/rotary_features.ts)
  embedScale,
  headNorm: headNormForward,
  geglu: gegluForward,
} as const;

const FAST_FORWARD = {
  cpu: matmulForwardVec4,
  lanes: matmulForwardLanes,
  lanes16: matmulForwardLanes16,
  gpu: matmulForwardTiled,
} as const;
/** The same, storing y as f32: for outputs whose row stride is not a multiple of 4 (GPT-2's 50,257 logits). */
const FAST_FORWARD_STRIDED = {
  cpu: matmulForwardVec4Strided,
  lanes: matmulForwardLanesStrided,
  lanes16: matmulForwardLanes16Strided,
  gpu: matmulForwardTiledStrided,
} as const;

/** The forward kernel records of a profile. */
export const forwardKernels = (profile: KernelProfile) =>
  ({
    ...common,
    matmulFast: FAST_FORWARD[profile],
    matmulFastStrided: FAST_FORWARD_STRIDED[profile],
    attention: sharesLanes(profile) ? attentionForwardLanes : attentionForward,
  }) as const;

type Records = ReturnType<typeof forwardKernels>;
export type ForwardKernels = { readonly [K in keyof Records]: CompiledKernel<Records[K]> };

/** Compiles a record of kernels under the same keys, each in its variant ("default" unless named). */
export const compileAll = <R extends Readonly<Record<string, AnyKernel>>>(
  cache: KernelCache,
  records: R,
  variants: Partial<Record<keyof R, string>> = {},
) => {
  const names = Object.keys(records);
  return pipe(
    TE.sequenceArray(names.map((n) => cache.compile(records[n]!, variants[n] ?? "default"))),
    TE.map((compiled) =>
      Object.fromEntries(names.map((n, i) => [n, compiled[i]])) as { readonly [K in keyof R]: CompiledKernel<R[K]> }
    ),
  );
};

/** The forward kernels of a profile, attention specialised to head dim D (any D when left out). */
export const compileForwardKernels = (
  cache: KernelCache,
  profile: KernelProfile = "cpu",
  D?: number,
): TE.TaskEither<GpuError, ForwardKernels> =>
  compileAll(cache, forwardKernels(profile), { attention: headDimVariant(D ?? 0) });

/** The kernels a packed pass (gpu/model/record_forward.ts PackedAt) uses in place of the plain ones. */
export const packedKernels = (profile: KernelProfile) =>
  ({
    embed: embedAtPositions,
    rope: ropeAtPositions,
    attention: sharesLanes(profile) ? attentionSpansLanes : attentionSpans,
  }) as const;

type PackedRecords = ReturnType<typeof packedKernels>;
export type PackedKernels = { readonly [K in keyof PackedRecords]: CompiledKernel<PackedRecords[K]> };

export const compilePackedKernels = (
  cache: KernelCache,
  profile: KernelProfile,
  D: number,
): TE.TaskEither<GpuError, PackedKernels> =>
  compileAll(cache, packedKernels(profile), { attention: headDimVariant(D) });
