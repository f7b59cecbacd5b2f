/**
 * CPU reference backward of rotary position embedding (core/ops/rope.ts). Each pair is rotated by
 * an orthogonal 2×2 matrix, so the backward is its transpose: the same pairs rotated by −angle.
 * Shapes: dy (T, H, D) for positions pos0..pos0+T−1 → dx (T, H, D).
 * @module
 */
import { alloc, type Floats } from "../floats.ts";
import type { RopeStyle } from "../spec.ts";
import { ropeAngle, ropePair } from "./rope.ts";

export const ropeBackward = <A extends Floats>(dy: A, T: number, H: number, D: number, pos0: number, theta: number, style: RopeStyle): A => {
  const dx = alloc(dy, dy.length);
  dx.set(dy); // as the forward: start from a copy, then overwrite each rotated pair
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < D / 2; j++) {
      const a = ropeAngle(pos0 + t, j, D, theta);
      const cos = Math.cos(a), sin = Math.sin(a);
      const [p, q] = ropePair(style, j, D);
      for (let h = 0; h < H; h++) {
        const o = (t * H + h) * D;
        const g0 = dy[o + p]!, g1 = dy[o + q]!;
        dx[o + p] = g0 * cos + g1 * sin;
        dx[o + q] = -g0 * sin + g1 * cos;
      }
    }
  }
  return dx;
};
