/**
 * The fast linear kernels of every profile (gpu/kernels/profile.ts) against the scalar ones and the CPU
 * twins: for any shape in multiples of 4, with row offsets, biases and residuals, the "cpu"
 * register-blocked, "lanes" subgroup-sharing (8 lanes, and 16 where the device's subgroups hold them) and "gpu"
 * workgroup-tiled forward on Wᵀ, and the
 * register-blocked and subgroup-sharing backward, give the scalar kernels' bits, and so do the strided forwards
 * (matmul_strided.ts) for O in multiples of 4 at any row stride and column offset of y (GPT-2's 50,257 logits) (every output sums in the same index order), and so stay within
 * the scalar kernels' allowance of the twins (kernels.test.ts holds every one of them to it, too).
 * Shapes are sized to what bit equality needs: partial and whole tiles, several per dimension (the
 * cpu tile is 16 rows × 8 columns, a workgroup 64 columns; at 16 lanes 32 × 8 and 128; the gpu tile 64 × 64). The file's time
 * is nearly all shader compilation (about 4 minutes with a cold Mesa cache, ~1 s warm).
 * @module
 */
import { fc, test } from "@fast-check/vitest";
import { beforeAll, describe, expect } from "vitest";
import { linear } from "../../../core/ops/matmul/matmul.ts";
import { matmulForward } from "../../../gpu/kernels/matmul/matmul.ts";
import { matmulBackwardW, matmulBackwardX } from "../../../gpu/kernels/matmul/matmul_backward.ts";
import { matmulForwardTiled } from "../../../gpu/kernels/matmul/matmul_tiled.ts";
import {
  matmulBackwardWLanes,
  matmulBackwardWLanes16,
  matmulBackwardXLanes,
  matmulBackwardXLanes16,
  matmulForwardLanes,
  matmulForwardLanes16,
} from "../../../gpu/kernels/matmul/matmul_lanes.ts";
import { probeLaneWidth } from "../../../gpu/kernels/lanes_probe.ts";
import {
  matmulBackwardWVec4,
  matmulBackwardWVec4Rows,
  matmulBackwardXVec4,
  matmulForwardVec4,
} from "../../../gpu/kernels/matmul/matmul_vec4.ts";
import {
  matmulForwardLanes16Strided,
  matmulForwardLanesStrided,
  matmulForwardTiledStrided,
  matmulForwardVec4Strided,
} from "../../../gpu/kernels/matmul/matmul_strided.ts";
import { transpose } from "../../../gpu/kernels/transpose.ts";
import { useGpu } from "../../../test/gpu/_device.ts";
import { runKernel, worstRatio } from "../../../test/gpu/_run_kernel.ts";
import { expectBitEqual } from "../_models.ts";

const gpu = useGpu();
/** The 16-lane kernels need subgroups of 16: lavapipe at 512-bit vectors (`LP_NATIVE_VECTOR_WIDTH=512 npm run test:gpu`). */
let wide = false;
beforeAll(async () => {
  wide = (await probeLaneWidth(gpu().kernels)) >= 16;
});
const at16 = <K>(k: K): K[] => (wide ? [k] : []);
const floats = (n: number) =>
  fc.float32Array({ minLength: n, maxLength: n, min: -2, max: 2, noNaN: true, noDefaultInfinity: true }).map((a) =>
    a.map((v) => (Math.abs(v) < 2 ** -60 ? 0.5 : v))
  );
const abs = (a: Float32Array) => a.map(Math.abs);

// N rows of y (N, ldy) at column yOff, from rows xRow0.. of x; O, ldy, yOff multiples of 4 (O4, pad4, off4 in vec4s).
const arbForward = fc.record({
  N: fc.integer({ min: 1, max: 70 }),
  I: fc.integer({ min: 1, max: 20 }),
  O4: fc.integer({ min: 1, max: 36 }),
  off4: fc.integer({ min: 0, max: 2 }),
  pad4: fc.integer({ min: 0, max: 2 }),
  xRow0: fc.integer({ min: 0, max: 3 }),
  useBias: fc.boolean(),
  useRes: fc.boolean(),
})
  .chain((d) =>
    fc.record({
      d: fc.constant(d),
      x: floats((d.N + d.xRow0) * d.I),
      w: floats(4 * d.O4 * d.I),
      b: floats(4 * (d.O4 + d.off4)),
      res: floats(d.N * 4 * (d.O4 + d.off4 + d.pad4)),
    })
  );

describe("the fast linear kernels", () => {
  test.prop([arbForward], { numRuns: 12 })(
    "for any shape in multiples of 4, matmul_forward_vec4, _lanes and _tiled on Wᵀ give matmul_forward's bits, within (I + 4) ulps of the twin",
    async ({ d, x, w, b, res }) => {
      const O = 4 * d.O4, yOff = 4 * d.off4, ldy = O + yOff + 4 * d.pad4, N = d.N, I = d.I;
      const wt = (await runKernel(gpu(), transpose, { w }, { wt: w.length }, { R: O, I })).wt!;
      const u = {
        N,
        I,
        O,
        ldy,
        yOff,
        bOff: yOff,
        useBias: d.useBias ? 1 : 0,
        useRes: d.useRes ? 1 : 0,
        xRow0: d.xRow0,
      };
      const scalar = (await runKernel(gpu(), matmulForward, { x, w, b, res, y: res.slice() }, { y: res.length }, u)).y!;
      for (const k of [matmulForwardVec4, matmulForwardLanes, ...at16(matmulForwardLanes16), matmulForwardTiled]) {
        expectBitEqual(
          k.name,
          (await runKernel(gpu(), k, { x, wt, b, res, y: res.slice() }, { y: res.length }, u)).y!,
          scalar,
        );
      }
      const xs = x.subarray(d.xRow0 * I),
        lin = linear(xs, w, d.useBias ? b.subarray(yOff, yOff + O) : undefined, N, I, O);
      const scale = linear(abs(xs), abs(w), d.useBias ? abs(b.subarray(yOff, yOff + O)) : undefined, N, I, O);
      const at = (i: number) => Math.floor(i / O) * ldy + yOff + (i % O);
      const want = lin.map((v, i) => v + (d.useRes ? res[at(i)]! : 0)),
        got = Float32Array.from(lin, (_, i) => scalar[at(i)]!);
      const r = worstRatio(got, want, scale.map((v, i) => v + (d.useRes ? Math.abs(res[at(i)]!) : 0)), I + 4);
      expect(r.ratio, `y[${r.at}]`).toBeLessThanOrEqual(1);
    },
  );

  // O a multiple of 4 (Wᵀ in vec4 columns); ldy, yOff and bOff any: the strided forwards' shapes.
  const arbStrided = fc.record({
    N: fc.integer({ min: 1, max: 70 }),
    I: fc.integer({ min: 1, max: 20 }),
    O4: fc.integer({ min: 1, max: 18 }),
    yOff: fc.integer({ min: 0, max: 7 }),
    bOff: fc.integer({ min: 0, max: 7 }),
    pad: fc.integer({ min: 0, max: 7 }),
    xRow0: fc.integer({ min: 0, max: 3 }),
    useBias: fc.boolean(),
    useRes: fc.boolean(),
  }).chain((d) =>
    fc.record({
      d: fc.constant(d),
      x: floats((d.N + d.xRow0) * d.I),
      w: floats(4 * d.O4 * d.I),
      b: floats(d.bOff + 4 * d.O4),
      res: floats(d.N * (d.yOff + 4 * d.O4 + d.pad)),
    })
  );

  test.prop([arbStrided], { numRuns: 12 })(
    "for O in multiples of 4 at any row stride and offset of y, matmul_forward_vec4_strided, _lanes_strided and _tiled_strided give matmul_forward's bits, writing nothing outside their columns",
    async ({ d, x, w, b, res }) => {
      const O = 4 * d.O4, ldy = d.yOff + O + d.pad, I = d.I;
      const wt = (await runKernel(gpu(), transpose, { w }, { wt: w.length }, { R: O, I })).wt!;
      const u = {
        N: d.N,
        I,
        O,
        ldy,
        yOff: d.yOff,
        bOff: d.bOff,
        useBias: d.useBias ? 1 : 0,
        useRes: d.useRes ? 1 : 0,
        xRow0: d.xRow0,
      };
      const y0 = res.map((v) => -v); // what lies outside the columns must stay
      const scalar = (await runKernel(gpu(), matmulForward, { x, w, b, res, y: y0.slice() }, { y: res.length }, u)).y!;
      for (
        const k of [
          matmulForwardVec4Strided,
          matmulForwardLanesStrided,
          ...at16(matmulForwardLanes16Strided),
          matmulForwardTiledStrided,
        ]
      ) {
        expectBitEqual(
          k.name,
          (await runKernel(gpu(), k, { x, wt, b, res, y: y0.slice() }, { y: res.length }, u)).y!,
          scalar,
        );
      }
      const outside = Array.from(scalar).filter((_, i) => i % ldy < d.yOff || i % ldy >= d.yOff + O);
      expect(outside).toEqual(Array.from(y0).filter((_, i) => i % ldy < d.yOff || i % ldy >= d.yOff + O));
    },
  );

  test.prop([
    fc.record({
      N: fc.integer({ min: 1, max: 36 }),
      I4: fc.integer({ min: 1, max: 10 }),
      O: fc.integer({ min: 1, max: 40 }),
      off: fc.integer({ min: 0, max: 3 }),
      row0: fc.integer({ min: 0, max: 3 }),
      accumulate: fc.boolean(),
    })
      .chain((d) =>
        fc.record({
          d: fc.constant(d),
          dy: floats(d.N * (d.O + d.off)),
          w: floats(d.O * 4 * d.I4),
          x: floats((d.N + d.row0) * 4 * d.I4),
          acc: floats((d.N + d.row0) * 4 * d.I4),
        })
      ),
  ], { numRuns: 10 })(
    "for any I in multiples of 4, matmul_backward_x_vec4, _x_lanes, _w_vec4 and _w_lanes give the scalar kernels' bits",
    async ({ d, dy, w, x, acc }) => {
      const I = 4 * d.I4,
        ldy = d.O + d.off,
        ux = { N: d.N, I, O: d.O, ldy, dyOff: d.off, dxRow0: d.row0, accumulate: d.accumulate ? 1 : 0 };
      const bx = [matmulBackwardX, matmulBackwardXVec4, matmulBackwardXLanes, ...at16(matmulBackwardXLanes16)].map((
        k,
      ) => runKernel(gpu(), k, { dy, w, dx: acc.slice() }, { dx: acc.length }, ux));
      const [sx, ...fast] = await Promise.all(bx);
      fast.forEach((f, i) => expectBitEqual(`dx ${["vec4", "lanes", "lanes16"][i]}`, f!.dx!, sx!.dx!));
      const uw = { N: d.N, I, O: d.O, ldy, dyOff: d.off, xRow0: d.row0 }, dw0 = acc.subarray(0, w.length).slice();
      const bw = [matmulBackwardW, matmulBackwardWVec4, matmulBackwardWLanes, ...at16(matmulBackwardWLanes16)].map((
        k,
      ) => runKernel(gpu(), k, { dy, x, dw: dw0.slice() }, { dw: dw0.length }, uw));
      const [sw, ...fastW] = await Promise.all(bw);
      fastW.forEach((f, i) => expectBitEqual(`dw ${["vec4", "lanes", "lanes16"][i]}`, f!.dw!, sw!.dw!));
    },
  );

  test.prop([
    fc.record({
      N: fc.integer({ min: 1, max: 36 }),
      I4: fc.integer({ min: 1, max: 6 }),
      O: fc.integer({ min: 1, max: 36 }),
      off4: fc.integer({ min: 0, max: 2 }),
      pad: fc.integer({ min: 0, max: 7 }),
      row0: fc.integer({ min: 0, max: 3 }),
    })
      .chain((d) => {
        const ldy = 4 * Math.ceil((4 * d.off4 + d.O + d.pad) / 4);
        return fc.record({
          d: fc.constant({ ...d, ldy }),
          dy: floats(d.N * ldy),
          x: floats((d.N + d.row0) * 4 * d.I4),
          dw: floats(d.O * 4 * d.I4),
        });
      }),
  ], { numRuns: 10 })(
    "for dy rows aligned to vec4 (ldy and the column offset multiples of 4), matmul_backward_w_vec4_rows gives the scalar kernel's bits, whatever lies past O",
    async ({ d, dy, x, dw }) => {
      const u = { N: d.N, I: 4 * d.I4, O: d.O, ldy: d.ldy, dyOff: 4 * d.off4, xRow0: d.row0 };
      const [s, v] = await Promise.all(
        [matmulBackwardW, matmulBackwardWVec4Rows].map((k) =>
          runKernel(gpu(), k, { dy, x, dw: dw.slice() }, { dw: dw.length }, u)
        ),
      );
      expectBitEqual("dw", v!.dw!, s!.dw!);
    },
  );
});
