/**
 * The paper's growth procedure (Sanyal et al. 2024, v4 Algorithm 1, "Choosing l"): start from the
 * first ⌈L/2⌉ blocks, train a fixed budget, and while the target's validation loss stays above the
 * reference's, inherit the next 2 reference blocks and train again; stop at the reference's depth.
 * Pure decisions; the CLI runs the rounds.
 * @module
 */

export const firstDepth = (L: number): number => Math.max(1, Math.ceil(L / 2));

export type GrowDecision =
  | { readonly _tag: "done"; readonly reason: "matched" } // target's val loss ≤ reference's
  | { readonly _tag: "done"; readonly reason: "full-depth" } // already at L blocks and still above
  | { readonly _tag: "grow"; readonly next: number };

export const growDecision = (L: number, depth: number, targetLoss: number, referenceLoss: number): GrowDecision =>
  targetLoss <= referenceLoss
    ? { _tag: "done", reason: "matched" }
    : depth >= L
    ? { _tag: "done", reason: "full-depth" }
    : { _tag: "grow", next: Math.min(L, depth + 2) };
