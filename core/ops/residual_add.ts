/**
 * CPU reference residual connection: out = a + b elementwise, each sum rounded once to the array
 * type of a (f32 for models: the correctly rounded f32 sum, as the GPU's one f32 addition).
 * @module
 */
import { alloc, type Floats } from "../model/floats.ts";

export const add = <A extends Floats>(a: A, b: Floats): A => {
  const y = alloc(a, a.length);
  for (let i = 0; i < a.length; i++) y[i] = a[i]! + b[i]!;
  return y;
};
