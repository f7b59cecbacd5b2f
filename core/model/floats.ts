/**
 * The two float array types the CPU reference runs in. Float32Array is the model's own precision
 * and the default everywhere; Float64Array exists so finite differences can check the backward
 * pass (props/core/model/backward_cpu.test.ts) without f32 rounding drowning the difference quotient.
 * An op returns the array type of its inputs, so a whole model runs in one precision or the other.
 * @module
 */

export type Floats = Float32Array | Float64Array;

/** Weights by tensor name in either precision; `Weights` (core/model/tensors.ts) is the f32 case. */
export type FloatWeights<A extends Floats> = Readonly<Record<string, A>>;

/** A new zero-filled array of n values with the array type of `like`. */
export const alloc = <A extends Floats>(like: A, n: number): A => new (like.constructor as new (n: number) => A)(n);

/** Copy float64 sums into an array of `like`'s type: for f32 this is the single rounding. */
export const fromSums = <A extends Floats>(like: A, sums: Float64Array): A => {
  const y = alloc(like, sums.length);
  y.set(sums);
  return y;
};

/** Look up a tensor that decoding guaranteed; a miss is a broken invariant, so it throws. */
export const unsafeTensorOf = <A extends Floats>(w: FloatWeights<A>, name: string): A => {
  const t = w[name];
  if (t === undefined) throw new Error(`Cannot find tensor ${name}: the weights do not hold it`);
  return t;
};

/** The same weights widened to float64 (exact: every f32 is a float64). */
export const toFloat64 = (w: FloatWeights<Floats>): FloatWeights<Float64Array> =>
  Object.fromEntries(Object.entries(w).map(([k, v]) => [k, Float64Array.from(v)]));
