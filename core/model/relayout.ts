/**
 * Moving a matrix's values between storage layouts without changing the function it computes.
 * - transpose: GPT-2's Conv1D stores (in, out); our Linear layout is (out, in).
 * - rotary row permutation: llama2.c rotates pairs (2j, 2j+1) of a head; Hugging Face Llama
 *   rotates (j, j + D/2). Hugging Face's convert_llama_weights_to_hf.py `permute` moves row 2j+c of
 *   each head to row c·D/2 + j (w.view(H, D/2, 2, in).transpose(1, 2)), so the same queries and
 *   keys come out, rotated the other way round. `unpermute` is its inverse. Values are only moved.
 * @module
 */

/** (rows, cols) row-major → (cols, rows). */
export const transpose = (x: Float32Array, rows: number, cols: number): Float32Array => {
  const y = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) y[c * rows + r] = x[r * cols + c]!;
  return y;
};

/**
 * Row of head h, pair j, member c in the interleaved layout, and in the half layout, when the head's first
 * R dims rotate (partial rotary; R = D otherwise): the rows R..D−1 pass through and stay where they are.
 */
const interleavedRow = (h: number, D: number, _R: number, j: number, c: number) => h * D + 2 * j + c;
const halfRow = (h: number, D: number, R: number, j: number, c: number) => h * D + c * (R / 2) + j;

const moveRows = (
  w: Float32Array,
  heads: number,
  D: number,
  cols: number,
  R: number,
  from: typeof halfRow,
  to: typeof halfRow,
): Float32Array => {
  const y = Float32Array.from(w); // the pass-through rows as they are
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < R / 2; j++) {
      for (let c = 0; c < 2; c++) {
        const f = from(h, D, R, j, c);
        y.set(w.subarray(f * cols, (f + 1) * cols), to(h, D, R, j, c) * cols);
      }
    }
  }
  return y;
};

/** A q or k projection (heads·D, cols) from interleaved-pair rows to half-split rows (HF's permute). */
export const permuteRotaryRows = (w: Float32Array, heads: number, D: number, cols: number, R = D): Float32Array =>
  moveRows(w, heads, D, cols, R, interleavedRow, halfRow);

/** The inverse: half-split rows back to interleaved pairs. */
export const unpermuteRotaryRows = (w: Float32Array, heads: number, D: number, cols: number, R = D): Float32Array =>
  moveRows(w, heads, D, cols, R, halfRow, interleavedRow);
