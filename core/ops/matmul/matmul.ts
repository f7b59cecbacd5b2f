/**
 * CPU reference: y = x Wᵀ + b, the Linear layer of PyTorch and the matmul of llm.c / llama2.c.
 * Shapes: x (N, I), W (O, I) row-major, b (O) or none → y (N, O).
 * Sums run in float64 in index order and round once to f32: the most exact answer a kernel can be
 * held to, so GPU tolerances measure the kernel's own rounding, not the oracle's.
 * @module
 */
import { alloc, type Floats } from "../../model/floats.ts";

export const linear = <A extends Floats>(x: A, w: A, b: A | undefined, N: number, I: number, O: number): A => {
  const y = alloc(x, N * O);
  for (let n = 0; n < N; n++) {
    const xo = n * I;
    for (let o = 0; o < O; o++) {
      const wo = o * I;
      let acc = b === undefined ? 0 : b[o]!;
      for (let i = 0; i < I; i++) acc += x[xo + i]! * w[wo + i]!;
      y[n * O + o] = acc;
    }
  }
  return y;
};
