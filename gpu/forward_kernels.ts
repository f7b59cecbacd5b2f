/**
 * The forward kernels of both families, compiled once per device and variant.
 * @module
 */
import * as TE from "fp-ts/lib/TaskEither.js";
import { pipe } from "fp-ts/lib/function.js";
import type { CompiledKernel, KernelCache } from "./compile.ts";
import type { GpuError } from "./errors.ts";
import { geluForward, swigluForward } from "./kernels/activations.ts";
import { attentionForward, kvAppend } from "./kernels/attention.ts";
import { crossEntropyForward } from "./kernels/cross_entropy.ts";
import { embedForward } from "./kernels/embed.ts";
import { matmulForward } from "./kernels/matmul.ts";
import { layerNormForward, rmsNormForward } from "./kernels/norms.ts";
import { ropeForward } from "./kernels/rope.ts";

export const FORWARD_KERNELS = {
  embed: embedForward, layerNorm: layerNormForward, rmsNorm: rmsNormForward, matmul: matmulForward,
  rope: ropeForward, attention: attentionForward, kvAppend, gelu: geluForward, swiglu: swigluForward, crossEntropy: crossEntropyForward,
} as const;

export type ForwardKernels = { readonly [K in keyof typeof FORWARD_KERNELS]: CompiledKernel<(typeof FORWARD_KERNELS)[K]> };

export const compileForwardKernels = (cache: KernelCache, variant = "default"): TE.TaskEither<GpuError, ForwardKernels> => {
  const names = Object.keys(FORWARD_KERNELS) as (keyof typeof FORWARD_KERNELS)[];
  return pipe(
    TE.sequenceArray(names.map((n) => cache.compile(FORWARD_KERNELS[n], variant))),
    TE.map((compiled) => Object.fromEntries(names.map((n, i) => [n, compiled[i]])) as unknown as ForwardKernels),
  );
};
