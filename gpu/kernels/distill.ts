/**
 * Cross-entropy mixed with distillation, fused with its backward and in place, as
 * cross_entropy_backward.ts: each row of logits z becomes
 *   ((1 − a)·(softmax(z) − onehot) + a·τ·(softmax(z/τ) − softmax(r/τ)))·scale
 * and its loss (1 − a)·CE + a·τ²·KL(softmax(r/τ) ‖ softmax(z/τ)) is stored. r: the frozen
 * reference's logits for the same rows. Shapes: logits, ref (N, V) (chunks from row0); targets,
 * losses (all rows). One invocation per row. CPU twin: core/ops/distill.ts.
 * @module
 */
import { ceilDiv, defineKernel } from "../engine/kernel.ts";

export const distillBackward = defineKernel({
  name: "distill_backward",
  bindings: [
    { name: "logits", access: "read_write" }, { name: "teacher", access: "read" }, { name: "targets", access: "read", type: "i32" },
    { name: "losses", access: "read_write" },
  ],
  uniforms: { N: "u32", V: "u32", row0: "u32", scale: "f32", weight: "f32", tau: "f32" },
  workgroupSize: 64,
  grid: ({ N }, [wx]) => [ceilDiv(N, wx), 1, 1],
  wgsl: /* wgsl */ `
  let n = gid.x;
  if (n >= params.N) { return; }
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
