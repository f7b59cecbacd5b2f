/**
 * The op table: every kernel record, each with its CPU twin (gpu/engine/twin.ts), so one
 * property loop (props/gpu/kernels/kernels.test.ts) checks them all, backward and optimizer kernels
 * included. A kernel and its twin share a file stem: gpu/kernels/X.ts ↔ core/ops/X.ts (the fast
 * linear kernels of matmul/matmul_{vec4,lanes,tiled,strided}.ts ↔ core/ops/matmul/matmul.ts and matmul_backward.ts; the lanes
 * probe of gpu/kernels/lanes_probe.ts ↔ core/ops/lanes_probe.ts). Records with variants (the
 * attention head dims) are here in their default build; the "lanes" builds need the device's
 * subgroups feature and the lanes probe's yes (the 16-lane ones, its yes at 16).
 * @module
 */
import type { AnyKernel } from "../engine/kernel.ts";
import type { AnyTwin } from "../engine/twin.ts";
import { erfForward, gegluForward, geluErfForward, geluForward, swigluForward } from "./activations.ts";
import { gegluBackward, geluBackward, geluErfBackward, swigluBackward } from "./activations_backward.ts";
import { adamw, clipScale, fillZero, sumsqPartial } from "./adamw.ts";
import { attentionForward, attentionForwardLanes, attentionSpans, attentionSpansLanes } from "./attention/attention.ts";
import { attentionProbs, attentionProbsLanes } from "./attention/attention_probs.ts";
import {
  attentionBackwardKV,
  attentionBackwardKVLanes,
  attentionBackwardQ,
  attentionBackwardQLanes,
} from "./attention/attention_backward.ts";
import { crossEntropyForward } from "./cross_entropy.ts";
import { crossEntropyBackward } from "./cross_entropy_backward.ts";
import { distillBackward } from "./distill.ts";
import { embedAtPositions, embedForward, embedScale } from "./embed.ts";
import { embedBackward, positionBackward } from "./embed_backward.ts";
import {
  matmulBackwardWLanes,
  matmulBackwardWLanes16,
  matmulBackwardXLanes,
  matmulBackwardXLanes16,
  matmulForwardLanes,
  matmulForwardLanes16,
} from "./matmul/matmul_lanes.ts";
import { matmulForwardTiled } from "./matmul/matmul_tiled.ts";
import {
  matmulForwardLanes16Strided,
  matmulForwardLanesStrided,
  matmulForwardTiledStrided,
  matmulForwardVec4Strided,
} from "./matmul/matmul_strided.ts";
import {
  matmulBackwardWVec4,
  matmulBackwardWVec4Rows,
  matmulBackwardXVec4,
  matmulForwardVec4,
} from "./matmul/matmul_vec4.ts";
import { kvAppend } from "./kv_append.ts";
import { matmulForward } from "./matmul/matmul.ts";
import { biasBackward, biasBackwardRunning, matmulBackwardW, matmulBackwardX } from "./matmul/matmul_backward.ts";
import { layerNormForward, rmsNormForward } from "./norms/norms.ts";
import { layerNormBackwardW, layerNormBackwardX, rmsNormBackwardW, rmsNormBackwardX } from "./norms/norms_backward.ts";
import { headNormBackwardW, headNormBackwardX, headNormForward } from "./norms/head_norm.ts";
import { residualAdd } from "./residual_add.ts";
import { ropeAtPositions, ropeForward } from "./rope.ts";
import { transpose } from "./transpose.ts";
import { lanesProbe, lanesProbe16 } from "./lanes_probe.ts";

/** A kernel record whose twin is a real one (not a fixture's NoTwin). */
export type TwinnedKernel = AnyKernel & { readonly twin: AnyTwin };

export const ALL_KERNELS: readonly TwinnedKernel[] = [
  // forward
  embedForward,
  embedAtPositions,
  embedScale,
  layerNormForward,
  rmsNormForward,
  headNormForward,
  matmulForward,
  matmulForwardVec4,
  matmulForwardLanes,
  matmulForwardLanes16,
  matmulForwardTiled,
  matmulForwardVec4Strided,
  matmulForwardLanesStrided,
  matmulForwardLanes16Strided,
  matmulForwardTiledStrided,
  transpose,
  ropeForward,
  ropeAtPositions,
  attentionForward,
  attentionForwardLanes,
  attentionSpans,
  attentionSpansLanes,
  attentionProbs,
  attentionProbsLanes,
  kvAppend,
  geluForward,
  erfForward,
  geluErfForward,
  swigluForward,
  gegluForward,
  residualAdd,
  crossEntropyForward,
  // backward
  crossEntropyBackward,
  distillBackward,
  matmulBackwardX,
  matmulBackwardW,
  biasBackward,
  biasBackwardRunning,
  matmulBackwardXVec4,
  matmulBackwardWVec4,
  matmulBackwardWVec4Rows,
  matmulBackwardXLanes,
  matmulBackwardWLanes,
  matmulBackwardXLanes16,
  matmulBackwardWLanes16,
  layerNormBackwardX,
  layerNormBackwardW,
  rmsNormBackwardX,
  rmsNormBackwardW,
  headNormBackwardW,
  headNormBackwardX,
  geluBackward,
  geluErfBackward,
  swigluBackward,
  gegluBackward,
  attentionBackwardQ,
  attentionBackwardQLanes,
  attentionBackwardKV,
  attentionBackwardKVLanes,
  embedBackward,
  positionBackward,
  // optimizer, and the device probe
  fillZero,
  sumsqPartial,
  clipScale,
  adamw,
  lanesProbe,
  lanesProbe16,
];

export { ALL_PROFILES, KERNEL_PROFILES, type KernelProfile, lanesOf, profileFor, sharesLanes } from "./profile.ts";
export { probeLanes, probeLaneWidth } from "./lanes_probe.ts";
