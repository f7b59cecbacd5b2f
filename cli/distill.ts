/**
 * `train --distill-from <reference> [--kd-weight a] [--kd-temperature τ]`: the frozen teacher for
 * distillation during training (issue 8; core/ops/distill.ts). Defaults a = 0.5 and τ = 2, the
 * usual middle ground (DistilBERT trains with τ = 2; a = 0.5 weighs the corpus and the teacher
 * alike). The teacher must share the trainee's vocabulary and hold the training context.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { loadModel, type Model } from "../adapters/formats/models.ts";
import { type AppError, appError } from "../core/errors.ts";
import { contextLimit, type ModelSpec } from "../core/model/spec.ts";
import type { Teacher } from "../core/train/trainer.ts";

export interface DistillArgs {
  readonly "distill-from"?: string | undefined;
  readonly "kd-weight"?: number | undefined;
  readonly "kd-temperature"?: number | undefined;
}

export const distillFlags = {
  "distill-from": {
    type: "string",
    help: "distil from this frozen reference (any model path <model> takes; often <model> itself)",
  },
  "kd-weight": { type: "string", help: "share a of the distillation term in (1−a)·CE + a·τ²·KL, 0..1 (default 0.5)" },
  "kd-temperature": { type: "string", help: "softmax temperature τ of both models' logits in the KL term (default 2)" },
} as const;

/** What a summary records of the distillation (null when the run did not distil). */
export interface DistillInfo {
  readonly from: string;
  readonly weight: number;
  readonly temperature: number;
}

const bad = (message: string, hint: string) => E.left(appError("BadArgs", `Cannot distil: ${message}`, hint));

/** The teacher the flags name (reusing `loaded` when it is the same path), or none; checked against the trainee and the context. */
export const teacherOf = async (
  a: DistillArgs,
  trainee: ModelSpec,
  ctx: number,
  loaded: { path: string; model: Model },
): Promise<E.Either<AppError, { teacher: Teacher; info: DistillInfo } | undefined>> => {
  const from = a["distill-from"];
  if (from === undefined) {
    return a["kd-weight"] !== undefined || a["kd-temperature"] !== undefined
      ? bad("--kd-weight and --kd-temperature need a teacher", "add --distill-from <reference>, or drop them")
      : E.right(undefined);
  }
  const weight = a["kd-weight"] ?? 0.5, temperature = a["kd-temperature"] ?? 2;
  if (!(weight >= 0 && weight <= 1)) {
    return bad(
      `--kd-weight ${weight} is outside 0..1`,
      "give a share between 0 (plain cross-entropy) and 1 (only the teacher)",
    );
  }
  if (!(temperature > 0)) {
    return bad(`--kd-temperature ${temperature} is not positive`, "give a temperature above 0, such as 2");
  }
  const m = from === loaded.path ? E.right(loaded.model) : await loadModel(from)();
  if (E.isLeft(m)) return m;
  const spec = m.right.spec;
  if (spec.vocabSize !== trainee.vocabSize) {
    return bad(
      `the teacher ${from} has a vocabulary of ${spec.vocabSize}, the trained model ${trainee.vocabSize}`,
      "distil from a model with the same tokenizer",
    );
  }
  if (contextLimit(spec).limit < ctx) {
    return bad(
      `for the teacher ${from} ${contextLimit(spec).why}, the run uses --ctx ${ctx}`,
      `give --ctx ${contextLimit(spec).limit} or less`,
    );
  }
  return E.right({
    teacher: { spec, weights: m.right.weights, kd: { weight, temperature } },
    info: { from, weight, temperature },
  });
};
