/**
 * CPU reference backward of rotary position embedding (core/ops/rope.ts). Each pair is rotated by
 * an orthogonal 2×2 matrix, so the backward is its transpose: the same pairs rotated by −angle.
 * Shapes: dy (T, H, D) for positions pos0..pos0+T−1 → dx (T, H, D).
 * @module
 */
import type { Floats } from "../model/floats.ts";
import type { RopeStyle } from "../model/spec.ts";
import { rotatePairs } from "./rope.ts";

export const ropeBackward = <A extends Floats>(dy: A, T: number, H: number, D: number, pos0: number, theta: number, style: RopeStyle): A =>
  rotatePairs(dy, T, H, D, pos0, theta, style, -1);
