/**
 * The "lanes" linear kernels (gpu/kernels/matmul/matmul_lanes.ts, matmul_strided.ts) at the shapes one training step
 * of GPT-2 124M's half-depth target multiplies (6 × 768, batch 4 × ctx 256 = 1024 rows, vocabulary 50,257), beside
 * the 1024² square of `npm run bench`: forward, backward x and backward W of qkv, proj, fc, fc-proj and a quarter of
 * the head's first binding view (same strides, a quarter of its columns, so a dispatch stays short).
 * Why per CPU second: the machine is shared, so wall GFLOP/s says more about the other jobs than about the kernel;
 * the process's CPU seconds (lavapipe's threads included) count only our work. Cases are interleaved, each round
 * running every case once, and both the mean over rounds and the best round are printed.
 *   node bench/probes/build.mjs bench/probes/matmul_shapes.ts && node dist/probe.mjs   (env: ROUNDS, GFLOP, CASES)
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { getNodeDevice } from "../../adapters/devices/webgpu_node.ts";
import {
  type Batch,
  createBatch,
  createKernelCache,
  createTensor,
  type GpuTensor,
  type KernelCache,
  probeLanes,
  upload,
} from "../../gpu/mod.ts";
import {
  matmulBackwardWLanes,
  matmulBackwardXLanes,
  matmulForwardLanes,
  matmulForwardLanesStrided,
} from "../../gpu/kernels/matmul/mod.ts";

const unwrap = <A>(r: E.Either<{ readonly message: string }, A>): A => {
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};

interface Case {
  readonly name: string;
  readonly flops: number;
  readonly record: (b: Batch) => void;
}

/** The cases on one device (random inputs, outputs overwritten on every run), and a tensor to read back after each. */
const makeCases = async (cache: KernelCache): Promise<{ cases: Case[]; sync: GpuTensor<"f32"> }> => {
  const device = cache.device,
    random = (n: number): GpuTensor<"f32"> => {
      const t = unwrap(createTensor(device, "probe", [n], "f32"));
      upload(device, t, Float32Array.from({ length: n }, () => Math.random() - 0.5));
      return t;
    };
  const fwd = unwrap(await cache.compile(matmulForwardLanes)()),
    strided = unwrap(await cache.compile(matmulForwardLanesStrided)());
  const bx = unwrap(await cache.compile(matmulBackwardXLanes)()),
    bw = unwrap(await cache.compile(matmulBackwardWLanes)());
  const dummy = random(4);
  const forward = (name: string, N: number, I: number, O: number, ldy = O): Case => {
    const x = random(N * I), wt = random(I * O), y = random(N * ldy);
    const u = { N, I, O, ldy, yOff: 0, bOff: 0, useBias: 0, useRes: 0, xRow0: 0 };
    return {
      name,
      flops: 2 * N * I * O,
      record: (b) =>
        ldy % 4 === 0
          ? b.dispatch(fwd, { x, wt, b: dummy, res: dummy, y }, u)
          : b.dispatch(strided, { x, wt, b: dummy, res: dummy, y }, u),
    };
  };
  const backX = (name: string, N: number, I: number, O: number, ldy = O): Case => {
    const dy = random(N * ldy), w = random(O * I), dx = random(N * I);
    const u = { N, I, O, ldy, dyOff: 0, dxRow0: 0, accumulate: 0 };
    return { name, flops: 2 * N * I * O, record: (b) => b.dispatch(bx, { dy, w, dx }, u) };
  };
  const backW = (name: string, N: number, I: number, O: number, ldy = O): Case => {
    const dy = random(N * ldy), x = random(N * I), dw = random(O * I);
    const u = { N, I, O, ldy, dyOff: 0, xRow0: 0 };
    return { name, flops: 2 * N * I * O, record: (b) => b.dispatch(bw, { dy, x, dw }, u) };
  };
  // the head's first view holds 43,688 of the 50,257 rows of wte; its first logits chunk 667 of the 1024 rows
  const N = 1024, C = 768, F = 3072, V = 50257, headRows = 667, headCols = 43688 / 4;
  const layers = [["qkv", C, 3 * C], ["proj", C, C], ["fc", C, F], ["fcproj", F, C]] as const;
  const cases = [
    forward("square 1024", 1024, 1024, 1024),
    ...layers.map(([n, I, O]) => forward(`fwd ${n}`, N, I, O)),
    forward("fwd head/4", headRows, C, headCols, V),
    ...layers.map(([n, I, O]) => backX(`bx ${n}`, N, I, O)),
    backX("bx head/4", headRows, C, headCols, V),
    ...layers.map(([n, I, O]) => backW(`bw ${n}`, N, I, O)),
    backW("bw head/4", headRows, C, headCols, V),
  ];
  return { cases, sync: dummy };
};

/** `reps` dispatches of the case in one batch, awaited through a read-back (a submit alone does not wait). */
const run = async (cache: KernelCache, sync: GpuTensor<"f32">, c: Case, reps: number): Promise<void> => {
  const b = createBatch(cache.device, "probe matmul shapes");
  for (let r = 0; r < reps; r++) c.record(b);
  b.read(sync);
  unwrap(await b.submit()());
};

const dev = unwrap(await getNodeDevice()()), cache = createKernelCache(dev.device);
try {
  if (!(await probeLanes(cache))) throw new Error("Cannot probe the lanes kernels: this device's subgroups differ");
  const only = (process.env.CASES ?? "").split(",").filter((s) => s !== "");
  const made = await makeCases(cache), sync = made.sync;
  const cases = made.cases.filter((c) => only.length === 0 || only.some((s) => c.name.includes(s)));
  const rounds = Number(process.env.ROUNDS ?? 6), perRun = Number(process.env.GFLOP ?? 0.5) * 1e9;
  for (const c of cases) await run(cache, sync, c, 1); // compiles and first touches
  const seconds = cases.map(() => ({ wall: [] as number[], cpu: [] as number[] })); // per flop, one per round
  for (let r = 0; r < rounds; r++) {
    for (const [i, c] of cases.entries()) {
      const reps = Math.max(1, Math.round(perRun / c.flops)), c0 = process.cpuUsage(), t0 = performance.now();
      await run(cache, sync, c, reps);
      const cpu = process.cpuUsage(c0), f = reps * c.flops;
      seconds[i]!.wall.push((performance.now() - t0) / 1000 / f);
      seconds[i]!.cpu.push((cpu.user + cpu.system) / 1e6 / f);
    }
  }
  const gf = (s: number) => (1 / s / 1e9).toFixed(1).padStart(5);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  process.stdout.write("GFLOP/s       mean: wall  per cpu-s | best: wall  per cpu-s\n");
  for (const [i, c] of cases.entries()) {
    const s = seconds[i]!;
    process.stdout.write(
      `${c.name.padEnd(12)}       ${gf(mean(s.wall))}  ${gf(mean(s.cpu))}     |       ${gf(Math.min(...s.wall))}  ${
        gf(Math.min(...s.cpu))
      }\n`,
    );
  }
} finally {
  dev.release();
}
process.exit(0);
