/**
 * What a GPU training step works on, as one record: the model's weights (and Wᵀ) and gradients
 * on the device, AdamW's moments and the clip's scratch, the teacher when distilling, the
 * activations per (B, T) shape, and the counters that change between steps.
 * gpu/train/trainer.ts makes it; the steps of gpu/train/steps.ts read and write it.
 * @module
 */
import type { Distill } from "../../core/ops/distill.ts";
import type { KernelTime } from "../engine/batch.ts";
import type { GpuTensor } from "../engine/tensor.ts";
import type { GpuModel } from "../model/model.ts";
import type { TrainBuffers } from "./buffers.ts";
import type { BackwardContext } from "./record_backward.ts";

export type Tensors = Record<string, GpuTensor<"f32">>;

/** The teacher on the device (forward kernels only) and how its logits mix into the loss. */
export interface DeviceTeacher {
  readonly model: GpuModel;
  readonly kd: Distill;
}

/** AdamW's moments by device name, and the scratch of the global-norm clip. */
export interface OptimizerBuffers {
  readonly m: Tensors;
  readonly v: Tensors;
  readonly partials: GpuTensor<"f32">; // Σ ceil(n / SUMSQ_CHUNK) partial sums of g², tensor by tensor
  readonly stats: GpuTensor<"f32">; // (2): the clip scale, then ‖g‖
  readonly decay: (name: string) => boolean;
}

/** What changes between steps. */
export interface TrainCounters {
  t: number; // AdamW steps taken
  staleWt: boolean; // Wᵀ lags W: at the start, and after every AdamW update
  kernelTimes: ReadonlyArray<KernelTime>; // the last step's, when timed
}

/** Everything the steps read and write: the model and its gradients, the optimizer, the teacher. */
export interface TrainContext extends BackwardContext {
  readonly opt: OptimizerBuffers;
  readonly names: ReadonlyArray<string>; // the trainable tensors, in the order of the clip's partials
  readonly teacher: DeviceTeacher | undefined;
  readonly timestamps: boolean;
  readonly shapes: Map<string, TrainBuffers>; // activations and gradients per B×T, made on first use
  readonly live: TrainCounters;
}
