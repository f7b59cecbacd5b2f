/**
 * Scorers of a backend (adapters/devices/backend.ts): the CPU reference (core/eval/scorer.ts) or the
 * model's forward and the target_scores kernel on the device (gpu/eval/scorer.ts), whose failure from a lost device
 * reads as that (adapters/devices/device_loss.ts).
 * @module
 */
import * as TE from "fp-ts/lib/TaskEither.js";
import type { AppError } from "../../core/errors.ts";
import { createCpuScorer, type Scorer } from "../../core/eval/scorer.ts";
import type { ModelSpec } from "../../core/model/spec.ts";
import type { Weights } from "../../core/model/tensors.ts";
import { createGpuScorer } from "../../gpu/eval/scorer.ts";
import type { Backend } from "../devices/backend.ts";
import { watchScorerLoss } from "../devices/device_loss.ts";

export type ScorerFactory = (spec: ModelSpec, weights: Weights) => TE.TaskEither<AppError, Scorer>;

export const scorerFactory = (b: Backend): ScorerFactory =>
  b._tag === "cpu"
    ? (spec, weights) => TE.right(createCpuScorer(spec, weights))
    : (spec, weights) =>
      TE.map((s: Scorer) => watchScorerLoss(b.acquired.lost, s))(
        createGpuScorer(b.kernels, spec, weights, { profile: b.profile }),
      );
