/**
 * The kernels a training step needs beyond the forward ones, compiled once per device for one
 * kernel profile (gpu/kernels/profile.ts): the scalar linear backward for any shape, and `matmulBxFast`,
 * `matmulBwFast` (`matmulBwRows` where dy's rows are vec4-aligned) for input widths in multiples
 * of 4: the "lanes" profile's own (gpu/kernels/matmul/matmul_lanes.ts), the vec4 ones otherwise.
 * @module
 */
import * as TE from "fp-ts/lib/TaskEither.js";
import { pipe } from "fp-ts/lib/function.js";
import type { CompiledKernel, KernelCache } from "../engine/compile.ts";
import type { GpuError } from "../engine/errors.ts";
import { compileAll, compileForwardKernels, type ForwardKernels } from "../model/forward_kernels.ts";
import { gegluBackward, geluBackward, geluErfBackward, swigluBackward } from "../kernels/activations_backward.ts";
import { headNormBackwardW, headNormBackwardX } from "../kernels/norms/head_norm.ts";
import { headDimVariant } from "../kernels/attention/attention.ts";
import {
  attentionBackwardKV,
  attentionBackwardKVLanes,
  attentionBackwardQ,
  attentionBackwardQLanes,
} from "../kernels/attention/attention_backward.ts";
import { crossEntropyBackward } from "../kernels/cross_entropy_backward.ts";
import { distillBackward } from "../kernels/distill.ts";
import { embedBackward, positionBackward } from "../kernels/embed_backward.ts";
import {
  biasBackward,
  biasBackwardRunning,
  matmulBackwardW,
  matmulBackwardX,
} from "../kernels/matmul/matmul_backward.ts";
import {
  matmulBackwardWLanes,
  matmulBackwardWLanes16,
  matmulBackwardXLanes,
  matmulBackwardXLanes16,
} from "../kernels/matmul/matmul_lanes.ts";
import { matmulBackwardWVec4, matmulBackwardWVec4Rows, matmulBackwardXVec4 } from "../kernels/matmul/matmul_vec4.ts";
import {
  layerNormBackwardW,
  layerNormBackwardX,
  rmsNormBackwardW,
  rmsNormBackwardX,
} from "../kernels/norms/norms_backward.ts";
import { adamw, clipScale, fillZero, sumsqPartial } from "../kernels/adamw.ts";
import type { KernelProfile } from "../kernels/profile.ts";

export const BACKWARD_KERNELS = {
  matmulBx: matmulBackwardX,
  matmulBw: matmulBackwardW,
  biasB: biasBackward,
  biasBRunning: biasBackwardRunning,
  matmulBxFast: matmulBackwardXVec4,
  matmulBwFast: matmulBackwardWVec4,
  matmulBwRows: matmulBackwardWVec4Rows,
  layerNormBx: layerNormBackwardX,
  layerNormBw: layerNormBackwardW,
  rmsNormBx: rmsNormBackwardX,
  rmsNormBw: rmsNormBackwardW,
  geluB: geluBackward,
  geluErfB: geluErfBackward,
  swigluB: swigluBackward,
  gegluB: gegluBackward,
  headNormBw: headNormBackwardW,
  headNormBx: headNormBackwardX,
  attnBq: attentionBackwardQ,
  attnBkv: attentionBackwardKV,
  ceB: crossEntropyBackward,
  distill: distillBackward,
  embedB: embedBackward,
  posB: positionBackward,
  zero: fillZero,
  sumsq: sumsqPartial,
  clip: clipScale,
  adamw,
} as const;

/** The "lanes" profile's own: the linear backward (one dW kernel for aligned and unaligned dy rows) and attention's lanes builds. */
const LANES_BACKWARD = {
  matmulBxFast: matmulBackwardXLanes,
  matmulBwFast: matmulBackwardWLanes,
  matmulBwRows: matmulBackwardWLanes,
  attnBq: attentionBackwardQLanes,
  attnBkv: attentionBackwardKVLanes,
} as const;

/** The "lanes16" profile's: the linear backward at 16 lanes, attention's lanes builds as in "lanes". */
const LANES16_BACKWARD = {
  ...LANES_BACKWARD,
  matmulBxFast: matmulBackwardXLanes16,
  matmulBwFast: matmulBackwardWLanes16,
  matmulBwRows: matmulBackwardWLanes16,
} as const;

/** The backward kernel records of a profile. */
export const backwardKernels = (profile: KernelProfile) =>
  profile === "lanes16"
    ? { ...BACKWARD_KERNELS, ...LANES16_BACKWARD }
    : profile === "lanes"
    ? { ...BACKWARD_KERNELS, ...LANES_BACKWARD }
    : BACKWARD_KERNELS;

type Records = ReturnType<typeof backwardKernels>;
export type BackwardKernels = { readonly [K in keyof Records]: CompiledKernel<Records[K]> };
export type TrainKernels = ForwardKernels & BackwardKernels;

/** The training kernels of a profile, attention specialised to head dim D (any D when left out). */
export const compileTrainKernels = (
  cache: KernelCache,
  profile: KernelProfile = "cpu",
  D?: number,
): TE.TaskEither<GpuError, TrainKernels> => {
  const attention = headDimVariant(D ?? 0);
  return pipe(
    compileForwardKernels(cache, profile, D),
    TE.chain((fwd) =>
      pipe(
        compileAll(cache, backwardKernels(profile), { attnBq: attention, attnBkv: attention }),
        TE.map((bwd): TrainKernels => ({ ...fwd, ...bwd })),
      )
    ),
  );
};
