/**
 * The linear kernels' cases, twin calls and allowances, shared by the scalar kernels
 * (gpu/kernels/matmul/matmul.ts, matmul_backward.ts) and the fast ones (gpu/kernels/matmul/matmul_{vec4,lanes,tiled}.ts): the same sums
 * in the same order, so one twin and one allowance each; `unit` 4 draws the shapes in multiples of
 * 4 that the fast kernels need. Twins: core/ops/matmul/matmul.ts linear, core/ops/matmul/matmul_backward.ts linearBackward.
 * Each output sums its products in index order: γ_n of Σ|terms| for n products (Higham), plus the
 * value it adds to (bias, residual, or the gradient already there) and one rounding for each.
 * @module
 */
import { columns } from "../../../core/model/forward.ts";
import { linear } from "../../../core/ops/matmul/matmul.ts";
import { linearBackward } from "../../../core/ops/matmul/matmul_backward.ts";
import { transpose } from "../../../core/ops/transpose.ts";
import { abs, type DimValues, type Inputs, overwrite, poison, wide } from "../../engine/twin.ts";

type Fwd = DimValues<"N" | "I" | "O" | "xRow0" | "yOff" | "pad" | "bOff" | "useBias" | "useRes">;
type Unit = 1 | 4;
/** Shapes of a forward: `unit` 4 scales every width to a multiple of 4; "o4" only O (y's row stride and columns any). */
type FwdUnit = Unit | "o4";

/** y (N, ldy) at columns yOff .. yOff + O from x rows xRow0 .., with the bias at bOff and the residual. */
export const forwardTwin = (weights: "w" | "wt", unit: FwdUnit) => {
  const sh = (d: Fwd) =>
    unit === "o4" ? { O: 4 * d.O, yOff: d.yOff, bOff: d.bOff, ldy: d.yOff + 4 * d.O + d.pad } : {
      O: unit * d.O,
      yOff: unit * d.yOff,
      bOff: unit * d.bOff,
      ldy: unit * (d.yOff + d.O + d.pad),
    };
  const y = (d: Fwd, a: Inputs, f: (x: ArrayLike<number>) => Float64Array) => {
    const { O, yOff, bOff, ldy } = sh(d), { N, I } = d, res = a.f32("res");
    const lin = linear(
      f(a.f32("x").subarray(d.xRow0 * I)),
      f(a.f32("w")),
      d.useBias ? f(a.f32("b").subarray(bOff, bOff + O)) : undefined,
      N,
      I,
      O,
    );
    return overwrite(a.f32("y"), (i) => {
      const o = (i % ldy) - yOff;
      return o < 0 || o >= O
        ? undefined
        : lin[Math.floor(i / ldy) * O + o]! + (d.useRes ? f(res.subarray(i, i + 1))[0]! : 0);
    });
  };
  return {
    of: "core/ops/matmul/matmul.ts linear",
    dims: unit === 1
      ? {
        N: [1, 13],
        I: [1, 40],
        O: [1, 21],
        xRow0: [0, 3],
        yOff: [0, 3],
        pad: [0, 3],
        bOff: [0, 3],
        useBias: [0, 1],
        useRes: [0, 1],
      } as const
      : {
        N: [1, 40],
        I: [1, 24],
        O: [1, 12],
        xRow0: [0, 3],
        yOff: unit === 4 ? [0, 2] as const : [0, 7] as const,
        pad: unit === 4 ? [0, 2] as const : [0, 7] as const,
        bOff: unit === 4 ? [0, 2] as const : [0, 7] as const,
        useBias: [0, 1],
        useRes: [0, 1],
      } as const,
    uniforms: (d: Fwd) => ({ N: d.N, I: d.I, ...sh(d), useBias: d.useBias, useRes: d.useRes, xRow0: d.xRow0 }),
    inputs: {
      x: { _tag: "f32", length: (d: Fwd) => (d.xRow0 + d.N) * d.I },
      w: { _tag: "f32", length: (d: Fwd) => sh(d).O * d.I }, // (O, I); the fast kernels read its transpose
      ...(weights === "wt"
        ? { wt: { _tag: "derived", make: (d: Fwd, a: Inputs) => transpose(a.f32("w"), sh(d).O, d.I) } as const }
        : {}),
      b: { _tag: "f32", length: (d: Fwd) => sh(d).bOff + sh(d).O },
      res: { _tag: "f32", length: (d: Fwd) => d.N * sh(d).ldy },
    },
    outputs: { y: (d: Fwd) => d.N * sh(d).ldy },
    run: (d: Fwd, a: Inputs) => ({ y: y(d, a, wide) }),
    tolerance: {
      y: {
        _tag: "ulps",
        text: "(I + 4) ulps of Σ|x·w| + |b| + |res|",
        ulps: (d: Fwd) => d.I + 4,
        scale: ({ d, a }: { d: Fwd; a: Inputs }) => y(d, a, abs),
      },
    },
  } as const;
};

type Bwd = DimValues<"N" | "I" | "O" | "off" | "pad" | "row0">;
const dyShape = (d: Bwd, aligned: boolean) => {
  const off = aligned ? 4 * d.off : d.off, ldy = aligned ? 4 * Math.ceil((off + d.O + d.pad) / 4) : off + d.O + d.pad;
  return { off, ldy };
};
const dyCols = (d: Bwd, a: Inputs, f: (x: ArrayLike<number>) => Float64Array, aligned = false) =>
  columns(f(a.f32("dy")), d.N, dyShape(d, aligned).ldy, dyShape(d, aligned).off, d.O);
const dims = (
  unit: Unit,
) => (unit === 1
  ? { N: [1, 13], I: [1, 24], O: [1, 21], off: [0, 3], pad: [0, 3], row0: [0, 3] } as const
  : { N: [1, 40], I: [1, 8], O: [1, 24], off: [0, 3], pad: [0, 3], row0: [0, 3] } as const);

/** dx rows dxRow0 .. = dy·W (added to what is there when accumulate = 1; dx starts poisoned when it is 0). */
export const backwardXTwin = (unit: Unit) => {
  type D = Bwd & DimValues<"accumulate">;
  const I = (d: Bwd) => unit * d.I;
  const dx = (d: D, a: Inputs, f: (x: ArrayLike<number>) => Float64Array) => {
    const g = linearBackward(dyCols(d, a, f), new Float64Array(d.N * I(d)), f(a.f32("w")), d.N, I(d), d.O).dx,
      at = d.row0 * I(d);
    return overwrite(
      a.f32("dx"),
      (i) => (i < at ? undefined : (d.accumulate ? f(a.f32("dx").subarray(i, i + 1))[0]! : 0) + g[i - at]!),
    );
  };
  return {
    of: "core/ops/matmul/matmul_backward.ts linearBackward (dx)",
    dims: { ...dims(unit), accumulate: [0, 1] },
    uniforms: (d: D) => ({
      N: d.N,
      I: I(d),
      O: d.O,
      ldy: dyShape(d, false).ldy,
      dyOff: d.off,
      dxRow0: d.row0,
      accumulate: d.accumulate,
    }),
    inputs: {
      dy: { _tag: "f32", length: (d: D) => d.N * dyShape(d, false).ldy },
      w: { _tag: "f32", length: (d: D) => d.O * I(d) },
      dx0: { _tag: "f32", length: (d: D) => (d.row0 + d.N) * I(d) },
      dx: { _tag: "derived", make: (d: D, a: Inputs) => (d.accumulate ? a.f32("dx0") : poison((d.row0 + d.N) * I(d))) },
    },
    outputs: { dx: (d: D) => (d.row0 + d.N) * I(d) },
    run: (d: D, a: Inputs) => ({ dx: dx(d, a, wide) }),
    tolerance: {
      dx: {
        _tag: "ulps",
        text: "(O + 2) ulps of Σ|dy·w| (+ |dx|)",
        ulps: (d: D) => d.O + 2,
        scale: ({ d, a }: { d: D; a: Inputs }) => dx(d, a, abs),
      },
    },
  } as const;
};

/** dW += dyᵀ·x over the rows xRow0 .. of x; `aligned`: dy's rows as vec4 (ldy and dyOff multiples of 4). */
export const backwardWTwin = (unit: Unit, aligned = false) => {
  const I = (d: Bwd) => unit * d.I;
  const dw = (d: Bwd, a: Inputs, f: (x: ArrayLike<number>) => Float64Array) => {
    const g = linearBackward(
      dyCols(d, a, f, aligned),
      f(a.f32("x").subarray(d.row0 * I(d))),
      new Float64Array(d.O * I(d)),
      d.N,
      I(d),
      d.O,
    ).dw;
    return f(a.f32("dw")).map((v, i) => v + g[i]!);
  };
  return {
    of: "core/ops/matmul/matmul_backward.ts linearBackward (dW)",
    dims: dims(unit),
    uniforms: (d: Bwd) => ({
      N: d.N,
      I: I(d),
      O: d.O,
      ldy: dyShape(d, aligned).ldy,
      dyOff: dyShape(d, aligned).off,
      xRow0: d.row0,
    }),
    inputs: {
      dy: { _tag: "f32", length: (d: Bwd) => d.N * dyShape(d, aligned).ldy },
      x: { _tag: "f32", length: (d: Bwd) => (d.row0 + d.N) * I(d) },
      dw: { _tag: "f32", length: (d: Bwd) => d.O * I(d) },
    },
    outputs: { dw: (d: Bwd) => d.O * I(d) },
    run: (d: Bwd, a: Inputs) => ({ dw: dw(d, a, wide) }),
    tolerance: {
      dw: {
        _tag: "ulps",
        text: "(N + 2) ulps of |dw| + Σ|dy·x|",
        ulps: (d: Bwd) => d.N + 2,
        scale: ({ d, a }: { d: Bwd; a: Inputs }) => dw(d, a, abs),
      },
    },
  } as const;
};
