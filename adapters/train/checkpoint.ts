/**
 * Training checkpoints: one safetensors file holding the weights (`w.<name>`), the AdamW moments
 * (`m.<name>`, `v.<name>`) in f32, and in its metadata a JSON record (magic "inheritune-train",
 * version) of t, step, tokens seen, the data RNG state, the settings and the spec, plus a sha256 of
 * the tensor bytes. Written atomically through adapters/formats/safetensors.ts (temporary file, fsync,
 * rename), so the file on disk is always the last complete checkpoint. Loading checks the record,
 * the spec, every tensor's size and the checksum: anything wrong is one BadFile error.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import * as t from "io-ts";
import { createHash } from "node:crypto";
import { describeErrors } from "../../core/codecs/report.ts";
import { type AppError, appError } from "../../core/errors.ts";
import type { RngState } from "../../core/rng.ts";
import { ModelSpec, specProblems } from "../../core/model/spec.ts";
import { allTensors, paramCount, weightProblems, type Weights } from "../../core/model/tensors.ts";
import type { OptimizerState } from "../../core/train/trainer.ts";
import { loadSafetensors, loadSafetensorsHeader, type NamedTensor, saveSafetensors } from "../formats/safetensors.ts";
import { TrainSettings } from "./settings.ts";

export { CHECKPOINT_FILE, TrainSettings } from "./settings.ts";

const FORMAT = "inheritune-train", VERSION = 1, KEY = "inheritune_checkpoint";

/** Where a run stands between steps. */
export interface Progress {
  readonly step: number; // optimizer steps done
  readonly tokens: number; // training tokens consumed
  readonly rng: RngState; // data RNG state before the next step's batches
  readonly valLossInitial: number;
}

export interface Checkpoint {
  readonly spec: ModelSpec;
  readonly state: OptimizerState;
  readonly progress: Progress;
  readonly settings: TrainSettings;
}

const Num = t.number;
const Record_ = t.type({
  format: t.literal(FORMAT),
  version: t.literal(VERSION),
  spec: ModelSpec,
  settings: TrainSettings,
  t: Num,
  step: Num,
  tokens: Num,
  rng: t.string,
  val_loss_initial: Num,
  sha256: t.string,
});

const bad = (path: string, why: string): AppError =>
  appError(
    "BadFile",
    `Cannot resume from checkpoint ${path}: ${why}`,
    "the checkpoint is damaged; start again without --resume (or into a new --out)",
  );

const parts = (s: ModelSpec, st: OptimizerState): ReadonlyArray<NamedTensor> =>
  (["w", "m", "v"] as const).flatMap((p) => {
    const src = p === "w" ? st.weights : st[p];
    return allTensors(s).map((x) => ({ name: `${p}.${x.name}`, shape: x.shape, data: src[x.name]! }));
  });

const digest = (ts: ReadonlyArray<NamedTensor>): string => {
  const h = createHash("sha256");
  for (const x of ts) h.update(new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength));
  return h.digest("hex");
};

export const saveCheckpoint = (path: string, c: Checkpoint): TE.TaskEither<AppError, void> => {
  const ts = parts(c.spec, c.state);
  const record = {
    format: FORMAT,
    version: VERSION,
    spec: c.spec,
    settings: c.settings,
    t: c.state.t,
    step: c.progress.step,
    tokens: c.progress.tokens,
    rng: c.progress.rng.toString(16),
    val_loss_initial: c.progress.valLossInitial,
    sha256: digest(ts),
  };
  return saveSafetensors(path, ts, "F32", { format: "pt", [KEY]: JSON.stringify(record) });
};

const byPrefix = (tensors: ReadonlyMap<string, NamedTensor>, p: string): Weights =>
  Object.fromEntries(
    [...tensors.values()].filter((x) => x.name.startsWith(`${p}.`)).map((x) => [x.name.slice(p.length + 1), x.data]),
  );

const decodeRecord = (
  path: string,
  meta: Readonly<Record<string, string>>,
): E.Either<AppError, t.TypeOf<typeof Record_>> => {
  const text = meta[KEY];
  if (text === undefined) return E.left(bad(path, "it holds no training record (is it a model file?)"));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return E.left(bad(path, "its training record is not valid JSON"));
  }
  return pipe(Record_.decode(json), E.mapLeft((errs) => bad(path, describeErrors(errs))));
};

const rngOf = (
  hex: string,
): RngState | undefined => (/^[0-9a-f]{1,16}$/.test(hex) && BigInt(`0x${hex}`) !== 0n ? BigInt(`0x${hex}`) : undefined);

const assemble = (
  path: string,
  r: t.TypeOf<typeof Record_>,
  tensors: ReadonlyMap<string, NamedTensor>,
): E.Either<AppError, Checkpoint> => {
  const spec = r.spec, sp = specProblems(spec);
  if (sp.length > 0) return E.left(bad(path, `its spec is inconsistent: ${sp[0]}`));
  // Checked before listing the spec's tensors: a corrupt record can declare 2^31 layers.
  let held = 0;
  for (const x of tensors.values()) held += x.data.length;
  if (3 * paramCount(spec) !== held) {
    return E.left(
      bad(path, `its spec implies ${3 * paramCount(spec)} values (weights and two moments) but it holds ${held}`),
    );
  }
  const [weights, m, v] = (["w", "m", "v"] as const).map((p) => byPrefix(tensors, p)) as [Weights, Weights, Weights];
  for (const [what, w] of [["weights", weights], ["first moments", m], ["second moments", v]] as const) {
    const p = weightProblems(spec, w);
    if (p.length > 0) return E.left(bad(path, `its ${what}: ${p[0]}`));
  }
  const state: OptimizerState = { weights, m, v, t: r.t };
  if (digest(parts(spec, state)) !== r.sha256) return E.left(bad(path, "its tensors do not match their checksum"));
  const rng = rngOf(r.rng);
  if (rng === undefined) return E.left(bad(path, `its RNG state "${r.rng}" is not a non-zero 64-bit hex number`));
  const counts = [r.t, r.step, r.tokens].every((n) => Number.isSafeInteger(n) && n >= 0);
  if (!counts) {
    return E.left(bad(path, `its counters t ${r.t}, step ${r.step}, tokens ${r.tokens} are not non-negative integers`));
  }
  return E.right({
    spec,
    state,
    settings: r.settings,
    progress: { step: r.step, tokens: r.tokens, rng, valLossInitial: r.val_loss_initial },
  });
};

export const loadCheckpoint = (path: string): TE.TaskEither<AppError, Checkpoint> =>
  pipe(
    loadSafetensors(path),
    TE.mapLeft((e) => bad(path, e.message.replace(/^Cannot read safetensors file [^:]*: /, ""))),
    TE.chainEitherK((f) => pipe(decodeRecord(path, f.header.metadata), E.chain((r) => assemble(path, r, f.tensors)))),
  );

/** A checkpoint's record without its tensors (the header alone): what `inspect <run>` shows. */
export interface CheckpointRecord {
  readonly spec: ModelSpec;
  readonly settings: TrainSettings;
  readonly step: number;
  readonly tokens: number;
  readonly valLossInitial: number;
}

export const readCheckpointRecord = (path: string): TE.TaskEither<AppError, CheckpointRecord> =>
  pipe(
    loadSafetensorsHeader(path),
    TE.mapLeft((e) => bad(path, e.message.replace(/^Cannot read safetensors file [^:]*: /, ""))),
    TE.chainEitherK((h) =>
      E.map((r: t.TypeOf<typeof Record_>) => ({
        spec: r.spec,
        settings: r.settings,
        step: r.step,
        tokens: r.tokens,
        valLossInitial: r.val_loss_initial,
      }))(decodeRecord(path, h.metadata))
    ),
  );
