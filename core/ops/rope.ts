/**
 * CPU reference rotary position embedding (Su et al. 2021), applied to one (T, H, D) tensor of
 * queries or keys for positions pos0 .. pos0+T−1. Pair j of a head rotates by pos · f_j, f_j = θ^(−2j/R),
 * or the scaled frequency of a long-context checkpoint (HF rope_scaling, ropeInvFreq): "linear" divides
 * every f_j by the factor (positions / factor); "llama3" divides the low frequencies (wavelength 2π/f_j
 * above P0 / low_freq_factor, P0 = original_max_position_embeddings) by the factor, keeps the high ones
 * (wavelength below P0 / high_freq_factor), and in between blends f/factor and f with weight
 * s = (P0 / wavelength − low) / (high − low) on f, as transformers' _compute_llama3_parameters; in float64
 * (transformers: float32), then each angle pos · f_j in float64 too. As transformers, the frequencies are
 * those of the rotary width R (below), and the scaling applies to them.
 * The pairs differ between formats: llama2.c rotates (2j, 2j+1) ("interleaved"); Hugging Face
 * Llama rotates (j, j + R/2) ("half", rotate_half).
 * Partial rotary (GPT-NeoX rotary_pct, Phi partial_rotary_factor): only the first R ≤ D dims of each head
 * rotate, as a rotary of width R (pairs j < R/2, frequencies over R); dims R..D−1 pass through. R = D by default.
 * ropeAt: the same rotation with each row at its own position (sequences packed side by side).
 * Backward: each pair is rotated by an orthogonal 2×2 matrix, so the backward is its transpose,
 * the same pairs rotated by −angle (ropeBackward; dy (T, H, D) → dx (T, H, D)).
 * @module
 */
import { alloc, type Floats } from "../model/floats.ts";
import type { RopeScaling, RopeStyle } from "../model/spec.ts";

/** Indices of the two members of pair j in a head whose first R dims rotate. */
export const ropePair = (style: RopeStyle, j: number, R: number): readonly [number, number] =>
  style === "interleaved" ? [2 * j, 2 * j + 1] : [j, j + R / 2];

/** f_j: the inverse frequency of pair j in a head of width D, scaled when the checkpoint asks. */
export const ropeInvFreq = (j: number, D: number, theta: number, scaling?: RopeScaling): number => {
  const f = Math.pow(theta, (-2 * j) / D);
  if (scaling === undefined) return f;
  if (scaling.kind === "linear") return f / scaling.factor;
  const { factor, lowFreqFactor: low, highFreqFactor: high, originalContext: P0 } = scaling;
  const wavelength = (2 * Math.PI) / f;
  if (wavelength < P0 / high) return f;
  if (wavelength > P0 / low) return f / factor;
  const smooth = (P0 / wavelength - low) / (high - low);
  return ((1 - smooth) * f) / factor + smooth * f;
};

export const ropeAngle = (pos: number, j: number, D: number, theta: number, scaling?: RopeScaling): number =>
  pos * ropeInvFreq(j, D, theta, scaling);

/** Every pair rotated by sign · angle: sign 1 is the embedding, −1 its transpose (the backward pass). */
export const rotatePairs = <A extends Floats>(
  x: A,
  T: number,
  H: number,
  D: number,
  pos0: number,
  theta: number,
  style: RopeStyle,
  sign: 1 | -1,
  R = D,
  scaling?: RopeScaling,
): A => {
  const positions = Array.from({ length: T }, (_, t) => pos0 + t);
  return ropeAt(x, positions, H, D, theta, style, R, scaling, sign);
};

/**
 * Rotary embedding with row t at position positions[t] (packed sequences: core/eval/packed_layout.ts); sign −1
 * rotates back (the backward). Twin of the GPU's rope_at_positions.
 */
export const ropeAt = <A extends Floats>(
  x: A,
  positions: ArrayLike<number>,
  H: number,
  D: number,
  theta: number,
  style: RopeStyle,
  R = D,
  scaling?: RopeScaling,
  sign: 1 | -1 = 1,
): A => {
  const y = alloc(x, x.length);
  y.set(x);
  for (let t = 0; t < positions.length; t++) {
    for (let j = 0; j < R / 2; j++) {
      const a = ropeAngle(positions[t]!, j, R, theta, scaling);
      const cos = Math.cos(a), sin = sign * Math.sin(a);
      const [p, q] = ropePair(style, j, R);
      for (let h = 0; h < H; h++) {
        const o = (t * H + h) * D;
        const x0 = x[o + p]!, x1 = x[o + q]!;
        y[o + p] = x0 * cos - x1 * sin;
        y[o + q] = x0 * sin + x1 * cos;
      }
    }
  }
  return y;
};

export const rope = <A extends Floats>(
  x: A,
  T: number,
  H: number,
  D: number,
  pos0: number,
  theta: number,
  style: RopeStyle,
  R = D,
  scaling?: RopeScaling,
): A => rotatePairs(x, T, H, D, pos0, theta, style, 1, R, scaling);

export const ropeBackward = <A extends Floats>(
  dy: A,
  T: number,
  H: number,
  D: number,
  pos0: number,
  theta: number,
  style: RopeStyle,
  R = D,
  scaling?: RopeScaling,
): A => rotatePairs(dy, T, H, D, pos0, theta, style, -1, R, scaling);
