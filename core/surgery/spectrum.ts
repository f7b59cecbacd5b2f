/**
 * The energies σ_i² of a causal attention matrix P (T×T, lower-triangular), largest first: what the
 * rank measure counts (core/surgery/diagnostics.ts rank90; Sanyal et al. 2024 v4, "the singular
 * values holding 90% of the energy Σσ²"). They are the eigenvalues of the Gram matrix G = P·Pᵀ
 * (P = UΣVᵀ gives G = UΣ²Uᵀ), which needs no singular vectors: G in T³/6 multiply-adds (row r of P
 * is zero past column r), Householder reduction of G to tridiagonal form on its lower triangle
 * (about (4/3)T³), then the implicit-shift QL iteration on the tridiagonal (O(T²)). An eigenvalue is
 * then off by at most a few T·u·σ₁² (backward stable; u = 2⁻⁵³), far below what moves a 90% share
 * except at an exact tie. Several times faster than ml-matrix's full SVD at T = 100
 * (adapters/analysis/attention_rank.ts, the oracle props/core/spectrum.test.ts checks it against).
 * @module
 */

/** Arrays one spectrum of size T works in, reused from matrix to matrix (a run counts thousands: no garbage). */
export interface SpectrumScratch {
  readonly T: number;
  readonly P: Float64Array; // the matrix's lower triangle in float64 (T×T): the loops below read one array type
  readonly G: Float64Array; // T×T
  readonly v: Float64Array; // T
  readonly w: Float64Array; // T
}

export const spectrumScratch = (T: number): SpectrumScratch => ({
  T,
  P: new Float64Array(T * T),
  G: new Float64Array(T * T),
  v: new Float64Array(T),
  w: new Float64Array(T),
});

/** The lower triangle of G = P·Pᵀ into G, P lower-triangular (T×T, row-major): rows r and r + 1 at a time share P[c]. */
const causalGram = (P: Float64Array, T: number, G: Float64Array): Float64Array => {
  let r = 0;
  for (; r + 1 < T; r += 2) {
    const r0 = r * T, r1 = r0 + T;
    for (let c = 0; c <= r; c++) {
      const rc = c * T;
      let acc0 = 0, acc1 = 0;
      for (let k = 0; k <= c; k++) {
        const pc = P[rc + k]!;
        acc0 += P[r0 + k]! * pc;
        acc1 += P[r1 + k]! * pc;
      }
      G[r0 + c] = acc0;
      G[r1 + c] = acc1;
    }
    let acc = 0;
    for (let k = 0; k <= r + 1; k++) acc += P[r1 + k]! * P[r1 + k]!;
    G[r1 + r + 1] = acc;
  }
  if (r < T) {
    for (let c = 0; c <= r; c++) {
      let acc = 0;
      for (let k = 0; k <= c; k++) acc += P[r * T + k]! * P[c * T + k]!;
      G[r * T + c] = acc;
    }
  }
  return G;
};

/**
 * Householder tridiagonalisation of the symmetric A (n×n, its lower triangle read and overwritten): step k maps
 * column k below the diagonal onto ±‖x‖·e₁ by H = I − β·v·vᵀ, applied as A ← H·A·H = A − v·wᵀ − w·vᵀ with
 * p = β·A·v, w = p − (β/2)(vᵀp)·v on the trailing block. Returns the diagonal d and the
 * sub-diagonal e (e[i] couples i and i + 1; e[n − 1] = 0).
 */
const tridiagonalise = (A: Float64Array, n: number, v: Float64Array, w: Float64Array) => {
  const d = new Float64Array(n), e = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    let norm2 = 0;
    for (let i = k + 1; i < n; i++) norm2 += A[i * n + k]! * A[i * n + k]!;
    const x0 = A[(k + 1) * n + k]!, alpha = x0 >= 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
    d[k] = A[k * n + k]!;
    e[k] = alpha;
    const vv = norm2 - x0 * x0 + (x0 - alpha) * (x0 - alpha);
    if (vv === 0) { // the column is already zero below the sub-diagonal
      e[k] = x0;
      continue;
    }
    v[k + 1] = x0 - alpha;
    for (let i = k + 2; i < n; i++) v[i] = A[i * n + k]!;
    const beta = 2 / vv;
    // p = β·A·v from the lower triangle: each A[i][j], j < i, serves row i and row j; two rows at a time share the
    // loads of v[j] and w[j] (with the Gram's and the update's pairing, 2.5 → 1.8 ms a 100 × 100 in V8)
    for (let i = k + 1; i < n; i++) w[i] = 0;
    let i = k + 1;
    for (; i + 1 < n; i += 2) {
      const v0 = v[i]!, v1 = v[i + 1]!, r0 = i * n, r1 = r0 + n;
      let acc0 = 0, acc1 = 0;
      for (let j = k + 1; j < i; j++) {
        const a0 = A[r0 + j]!, a1 = A[r1 + j]!, vj = v[j]!;
        acc0 += a0 * vj;
        acc1 += a1 * vj;
        w[j] = w[j]! + (a0 * v0 + a1 * v1);
      }
      const a10 = A[r1 + i]!;
      w[i] = w[i]! + (acc0 + A[r0 + i]! * v0 + a10 * v1);
      w[i + 1] = w[i + 1]! + (acc1 + a10 * v0 + A[r1 + i + 1]! * v1);
    }
    if (i < n) {
      const vi = v[i]!, row = i * n;
      let acc = A[row + i]! * vi;
      for (let j = k + 1; j < i; j++) {
        const a = A[row + j]!;
        acc += a * v[j]!;
        w[j] = w[j]! + a * vi;
      }
      w[i] = w[i]! + acc;
    }
    let vp = 0;
    for (let i = k + 1; i < n; i++) {
      w[i] = beta * w[i]!;
      vp += v[i]! * w[i]!;
    }
    const half = (beta / 2) * vp;
    for (let i = k + 1; i < n; i++) w[i] = w[i]! - half * v[i]!;
    // the lower triangle of A − v·wᵀ − w·vᵀ, two rows at a time (v[j] and w[j] loaded once for both)
    let u = k + 1;
    for (; u + 1 < n; u += 2) {
      const v0 = v[u]!, w0 = w[u]!, v1 = v[u + 1]!, w1 = w[u + 1]!, r0 = u * n, r1 = r0 + n;
      for (let j = k + 1; j <= u; j++) {
        const vj = v[j]!, wj = w[j]!;
        A[r0 + j] = A[r0 + j]! - v0 * wj - w0 * vj;
        A[r1 + j] = A[r1 + j]! - v1 * wj - w1 * vj;
      }
      A[r1 + u + 1] = A[r1 + u + 1]! - v1 * w1 - w1 * v1;
    }
    if (u < n) {
      const vi = v[u]!, wi = w[u]!, row = u * n;
      for (let j = k + 1; j <= u; j++) A[row + j] = A[row + j]! - vi * w[j]! - wi * v[j]!;
    }
  }
  if (n >= 2) {
    d[n - 2] = A[(n - 2) * n + n - 2]!;
    e[n - 2] = A[(n - 1) * n + n - 2]!;
  }
  if (n >= 1) d[n - 1] = A[n * n - 1]!;
  return { d, e };
};

/** √(f² + g²): the plain formula where f² + g² is a normal float64 (every rotation here), else Math.hypot (slower). */
const norm2 = (f: number, g: number): number => {
  const ss = f * f + g * g;
  return ss >= 2 ** -900 && ss < Infinity ? Math.sqrt(ss) : Math.hypot(f, g);
};

/**
 * Eigenvalues of the symmetric tridiagonal (d, e), overwriting d: QL sweeps with Wilkinson's shift
 * on the unreduced block [l, m] that starts at l, plane rotations from the bottom up, until e[l]
 * is negligible beside its neighbours on the diagonal; then l moves on.
 */
const tridiagonalEigenvalues = (d: Float64Array, e: Float64Array): Float64Array => {
  const n = d.length;
  for (let l = 0; l < n; l++) {
    for (let iter = 0;; iter++) {
      let m = l;
      while (m < n - 1 && Math.abs(e[m]!) > Number.EPSILON * (Math.abs(d[m]!) + Math.abs(d[m + 1]!))) m++;
      if (m === l) break;
      if (iter === 60) throw new Error(`Cannot find the eigenvalues of a ${n}×${n} tridiagonal: no convergence`);
      const theta = (d[l + 1]! - d[l]!) / (2 * e[l]!), rho = Math.hypot(theta, 1);
      let g = d[m]! - d[l]! + e[l]! / (theta + (theta >= 0 ? rho : -rho)); // shifted by Wilkinson's μ
      let s = 1, c = 1, p = 0, i = m - 1, deflated = false;
      for (; i >= l; i--) {
        const f = s * e[i]!, b = c * e[i]!, r = norm2(f, g);
        e[i + 1] = r;
        if (r === 0) { // a split inside the block: shift back and sweep again
          d[i + 1] = d[i + 1]! - p;
          e[m] = 0;
          deflated = true;
          break;
        }
        s = f / r;
        c = g / r;
        const h = d[i + 1]! - p, q = (d[i]! - h) * s + 2 * c * b;
        p = s * q;
        d[i + 1] = h + p;
        g = c * q - b;
      }
      if (deflated) continue;
      d[l] = d[l]! - p;
      e[l] = g;
      e[m] = 0;
    }
  }
  return d;
};

/** σ_i² of the causal attention matrix P (T×T, row-major; entries above the diagonal are not read), largest first. */
export const causalEnergies = (P: ArrayLike<number>, T: number, scratch?: SpectrumScratch): Float64Array => {
  const x = scratch?.T === T ? scratch : spectrumScratch(T);
  for (let r = 0; r < T; r++) for (let c = 0; c <= r; c++) x.P[r * T + c] = P[r * T + c]!;
  const { d, e } = tridiagonalise(causalGram(x.P, T, x.G), T, x.v, x.w);
  // G is positive semi-definite: a tiny negative eigenvalue is rounding, an energy of 0
  return tridiagonalEigenvalues(d, e).map((x) => Math.max(0, x)).sort().reverse();
};
