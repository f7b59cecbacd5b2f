/**
 * The kernels a training step needs beyond the forward ones, compiled once per device.
 * @module
 */
import * as TE from "fp-ts/lib/TaskEither.js";
import { pipe } from "fp-ts/lib/function.js";
import type { CompiledKernel, KernelCache } from "./compile.ts";
import type { GpuError } from "./errors.ts";
import { compileForwardKernels, type ForwardKernels } from "./forward_kernels.ts";
import { geluBackward, swigluBackward } from "./kernels/activations_backward.ts";
import { attentionBackwardKV, attentionBackwardQ } from "./kernels/attention_backward.ts";
import { crossEntropyBackward } from "./kernels/cross_entropy_backward.ts";
import { embedBackward, positionBackward } from "./kernels/embed_backward.ts";
import { biasBackward, matmulBackwardW, matmulBackwardX } from "./kernels/matmul_backward.ts";
import { layerNormBackwardW, layerNormBackwardX, rmsNormBackwardW, rmsNormBackwardX } from "./kernels/norms_backward.ts";
import { adamw, clipScale, fillZero, sumsqPartial } from "./kernels/optimizer.ts";

export const BACKWARD_KERNELS = {
  matmulBx: matmulBackwardX, matmulBw: matmulBackwardW, biasB: biasBackward,
  layerNormBx: layerNormBackwardX, layerNormBw: layerNormBackwardW, rmsNormBx: rmsNormBackwardX, rmsNormBw: rmsNormBackwardW,
  geluB: geluBackward, swigluB: swigluBackward, attnBq: attentionBackwardQ, attnBkv: attentionBackwardKV,
  ceB: crossEntropyBackward, embedB: embedBackward, posB: positionBackward,
  zero: fillZero, sumsq: sumsqPartial, clip: clipScale, adamw,
} as const;

export type BackwardKernels = { readonly [K in keyof typeof BACKWARD_KERNELS]: CompiledKernel<(typeof BACKWARD_KERNELS)[K]> };
export type TrainKernels = ForwardKernels & BackwardKernels;

export const compileTrainKernels = (cache: KernelCache, variant = "default"): TE.TaskEither<GpuError, TrainKernels> => {
  const names = Object.keys(BACKWARD_KERNELS) as (keyof typeof BACKWARD_KERNELS)[];
  return pipe(
    compileForwardKernels(cache, variant),
    TE.chain((fwd) => pipe(
      TE.sequenceArray(names.map((n) => cache.compile(BACKWARD_KERNELS[n], variant))),
      TE.map((compiled) => ({ ...fwd, ...Object.fromEntries(names.map((n, i) => [n, compiled[i]])) }) as unknown as TrainKernels),
    )),
  );
};
