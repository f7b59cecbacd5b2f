/**
 * Inheritance plan: what the target takes from the reference, tensor by tensor.
 * Paper: Sanyal et al. 2024, Algorithm 1: the target keeps the token embedding, blocks (first l,
 * or here any ordered selection), the final norm and the LM head. Positions (GPT-2 `wpe`) and the
 * final norm are inherited too (PAPER.md, "The method" 2). The reference is never edited.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { type AppError, appError } from "../errors.ts";
import { type ModelSpec, withDepth } from "../model/spec.ts";
import { blockName, blockTensors, globalTensors, unsafeTensor, type Weights } from "../model/tensors.ts";

/** Which reference blocks the target keeps, in the target's order. */
export type Selection =
  | { readonly _tag: "first"; readonly n: number } // the paper: blocks 0..n-1
  | { readonly _tag: "blocks"; readonly indices: ReadonlyArray<number> }; // explicit, ordered

/** The fate of one target tensor. */
export type Fate =
  | { readonly _tag: "inherit"; readonly from: string } // copied from this reference tensor
  | { readonly _tag: "tied"; readonly to: string } // no storage of its own (LM head ← wte)
  | { readonly _tag: "init" }; // freshly initialised (a scratch baseline)

export interface PlanEntry {
  readonly target: string;
  readonly fate: Fate;
}

export interface InheritancePlan {
  readonly reference: ModelSpec;
  readonly target: ModelSpec;
  readonly blocks: ReadonlyArray<number>; // target block k ← reference block blocks[k]
  readonly entries: ReadonlyArray<PlanEntry>;
}

const badPlan = (message: string): AppError =>
  appError(
    "BadPlan",
    message,
    "give --layers as a count 1..n_layer or an ordered list of distinct block indices, e.g. 0,1,2",
  );

/** The reference block indices a selection names, checked against the reference's depth. */
export const selectedBlocks = (ref: ModelSpec, sel: Selection): E.Either<AppError, ReadonlyArray<number>> => {
  const L = ref.nLayer;
  if (sel._tag === "first") {
    if (!Number.isInteger(sel.n) || sel.n < 1 || sel.n > L) {
      return E.left(badPlan(`Cannot inherit the first ${sel.n} blocks: the reference has ${L} blocks`));
    }
    return E.right(Array.from({ length: sel.n }, (_, i) => i));
  }
  const xs = sel.indices;
  if (xs.length === 0) return E.left(badPlan("Cannot inherit an empty block selection: name at least one block"));
  const bad = xs.find((i) => !Number.isInteger(i) || i < 0 || i >= L);
  if (bad !== undefined) return E.left(badPlan(`Cannot inherit block ${bad}: the reference has blocks 0..${L - 1}`));
  if (new Set(xs).size !== xs.length) {
    return E.left(badPlan(`Cannot inherit blocks ${xs.join(",")}: a block is repeated`));
  }
  return E.right(xs);
};

/** Plan entries for the globals: every one inherited, and a tied LM head recorded as such. */
const globalEntries = (ref: ModelSpec): ReadonlyArray<PlanEntry> => {
  const own = globalTensors(ref).map((t) => ({ target: t.name, fate: { _tag: "inherit", from: t.name } as const }));
  const hasHead = own.some((e) => e.target === "lmhead");
  return hasHead ? own : [...own, { target: "lmhead", fate: { _tag: "tied", to: "wte" } }];
};

/** Build the target spec and its plan; pure, the reference spec is untouched. */
export const planInheritance = (ref: ModelSpec, sel: Selection): E.Either<AppError, InheritancePlan> =>
  E.map((blocks: ReadonlyArray<number>) => ({
    reference: ref,
    target: withDepth(ref, blocks.length),
    blocks,
    entries: [
      ...globalEntries(ref),
      ...blocks.flatMap((j, k) =>
        blockTensors(ref).map((t) => ({
          target: blockName(k, t.name),
          fate: { _tag: "inherit", from: blockName(j, t.name) } as const,
        }))
      ),
    ],
  }))(selectedBlocks(ref, sel));

/** The same shapes as a plan's target, every tensor freshly initialised: the scratch baseline. */
export const scratchPlan = (plan: InheritancePlan): InheritancePlan => ({
  ...plan,
  entries: plan.entries.map((e) => (e.fate._tag === "tied" ? e : { target: e.target, fate: { _tag: "init" } })),
});

/** Carry out a plan's inherited entries: new arrays, so training the target never touches the reference. */
export const inheritWeights = (plan: InheritancePlan, ref: Weights): Weights =>
  Object.fromEntries(
    plan.entries.flatMap((e) => e.fate._tag === "inherit" ? [[e.target, unsafeTensor(ref, e.fate.from).slice()]] : []),
  );

/** Human-readable line per entry, e.g. "h.1.wq ← reference h.3.wq". */
export const describeEntry = (e: PlanEntry): string =>
  e.fate._tag === "inherit"
    ? `${e.target} ← reference ${e.fate.from}`
    : e.fate._tag === "tied"
    ? `${e.target}: tied to ${e.fate.to}`
    : `${e.target}: initialised`;

/** Parse `--layers`: "n" (the first n) or "i,j,k" (an explicit list). */
export const parseSelection = (text: string): E.Either<AppError, Selection> => {
  const t = text.trim();
  if (/^\d+$/.test(t)) return E.right({ _tag: "first", n: Number(t) });
  if (/^\d+(\s*,\s*\d+)+$/.test(t)) {
    return E.right({
      _tag: "blocks",
      indices: t.split(",").map((x) => Number(x.trim())),
    });
  }
  return E.left(badPlan(`Cannot read --layers "${text}": expected a count like 3 or a list like 0,2,4`));
};
