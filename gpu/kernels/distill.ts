/**
 * Cross-entropy mixed with distillation, fused with its backward and in place, as
 * cross_entropy_backward.ts: each row of logits z becomes
 *   ((1 − a)·(softmax(z) − onehot) + a·τ·(softmax(z/τ) − softmax(r/τ)))·scale
 * and its loss (1 − a)·CE + a·τ²·KL(softmax(r/τ) ‖ softmax(z/τ)) is stored. r: the frozen
 * reference's logits for the same rows. Shapes: logits, ref (N, V) (chunks from row0); targets,
 * losses (all rows). One invocation per row. CPU twin: core/ops/distill.ts.
 * @module
 */
import { distillLossAndGrad } from "../../core/ops/distill.ts";
import { rowwise } from "../engine/elementwise.ts";
import { type Inputs, overwrite, wide } from "../engine/twin.ts";

/** A case's weight a and temperature τ, as the kernel's f32 uniforms, and the mean's scale. */
const mix = (w1000: number, tau100: number) => ({
  weight: Math.fround(w1000 / 1000),
  temperature: Math.fround(tau100 / 100),
});
const meanScale = (N: number, row0: number) => Math.fround(1 / (row0 + N));

/** The twin on rows row0 .. row0 + N: the gradient, and each row's loss (a mean over one row). */
const twinRows = (a: Inputs, N: number, V: number, row0: number, kd: ReturnType<typeof mix>) => {
  const z = wide(a.f32("logits")), r = wide(a.f32("teacher")), t = a.i32("targets").subarray(row0);
  const loss = (n: number) =>
    distillLossAndGrad(
      z.subarray(n * V, (n + 1) * V),
      r.subarray(n * V, (n + 1) * V),
      t.subarray(n, n + 1),
      1,
      V,
      kd,
      1,
    ).loss;
  return {
    logits: distillLossAndGrad(z, r, t, N, V, kd, meanScale(N, row0)).dz,
    losses: overwrite(a.f32("losses"), (i) => (i >= row0 ? loss(i - row0) : undefined)),
  };
};

export const distillBackward = rowwise({
  name: "distill_backward",
  bindings: [
    { name: "logits", access: "read_write" },
    { name: "teacher", access: "read" },
    { name: "targets", access: "read", type: "i32" },
    { name: "losses", access: "read_write" },
  ],
  uniforms: { N: "u32", V: "u32", row0: "u32", scale: "f32", weight: "f32", tau: "f32" },
  count: ["params.N", ({ N }) => N],
  twin: {
    of: "core/ops/distill.ts distillLossAndGrad",
    dims: { N: [1, 6], V: [2, 40], row0: [0, 2], w1000: [0, 1000], tau100: [50, 400] },
    uniforms: ({ N, V, row0, w1000, tau100 }) => ({
      N,
      V,
      row0,
      scale: meanScale(N, row0),
      weight: mix(w1000, tau100).weight,
      tau: mix(w1000, tau100).temperature,
    }),
    inputs: {
      logits: { _tag: "f32", length: ({ N, V }) => N * V, min: -6, max: 6 },
      teacher: { _tag: "f32", length: ({ N, V }) => N * V, min: -6, max: 6 },
      targets: { _tag: "i32", length: ({ N, row0 }) => row0 + N, min: () => 0, max: ({ V }) => V - 1 },
    },
    outputs: { logits: ({ N, V }) => N * V, losses: ({ N, row0 }) => row0 + N },
    run: ({ N, V, row0, w1000, tau100 }, a) => twinRows(a, N, V, row0, mix(w1000, tau100)),
    // three softmaxes of V terms each (γ_V) and a KL sum over V: (V + 16) ulps of the gradient's
    // scale (1 + a·τ)·scale, and of the loss's terms |loss| + 2·max|z| + 2·max|z|·τ² (logits within ±6)
    tolerance: {
      logits: {
        _tag: "ulps",
        text: "(V + 16) ulps of (1 + a·τ)·scale",
        ulps: ({ V }) => V + 16,
        scale: ({ d: { N, V, row0, w1000, tau100 } }) =>
          new Float64Array(N * V).fill(
            (1 + mix(w1000, tau100).weight * mix(w1000, tau100).temperature) * meanScale(N, row0),
          ),
      },
      losses: {
        _tag: "ulps",
        text: "(V + 16) ulps of |loss| + 12 + 12τ²",
        ulps: ({ V }) => V + 16,
        scale: ({ d: { w1000, tau100 }, want }) =>
          Float64Array.from(want("losses"), (l) => Math.abs(l) + 12 + 12 * mix(w1000, tau100).temperature ** 2),
      },
    },
  },
  body: /* wgsl */ `
  let o = n * params.V;
  let t = u32(targets[params.row0 + n]);
  let tau = params.tau;
  var m1 = -3.4028234663852886e38;
  var mt = -3.4028234663852886e38;
  var mr = -3.4028234663852886e38;
  for (var v = 0u; v < params.V; v++) {
    m1 = max(m1, logits[o + v]);
    mt = max(mt, logits[o + v] / tau);
    mr = max(mr, teacher[o + v] / tau);
  }
  var s1 = 0.0;
  var st = 0.0;
  var sr = 0.0;
  for (var v = 0u; v < params.V; v++) {
    s1 += exp(logits[o + v] - m1);
    st += exp(logits[o + v] / tau - mt);
    sr += exp(teacher[o + v] / tau - mr);
  }
  let l1 = m1 + log(s1);
  let lt = mt + log(st);
  let lr = mr + log(sr);
  var kl = 0.0;
  for (var v = 0u; v < params.V; v++) {
    let pr = teacher[o + v] / tau - lr;
    kl += exp(pr) * (pr - (logits[o + v] / tau - lt));
  }
  let a = params.weight;
  losses[params.row0 + n] = (1.0 - a) * (l1 - logits[o + t]) + a * tau * tau * kl;
  for (var v = 0u; v < params.V; v++) {
    let z = logits[o + v];
    let hard = exp(z - m1) / s1 - select(0.0, 1.0, v == t); // as cross_entropy_backward: a = 0 gives its bits
    let soft = a * tau * (exp(z / tau - lt) - exp(teacher[o + v] / tau - lr));
    logits[o + v] = ((1.0 - a) * hard + soft) * params.scale;
  }`,
});
