/**
 * The whole bench as one value: our linear kernel on squares and on the models' shapes, OpenBLAS
 * for scale, each config's forward and training throughput, step split and memory, and the tfjs
 * peers training the GPT-2 style configs. bench/report.ts prints it; `--json` gives it as is.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { loadavg } from "node:os";
import type { AcquiredDevice } from "../adapters/devices/webgpu_device.ts";
import { describeAdapter } from "../adapters/devices/webgpu_info.ts";
import { adapterLine } from "../adapters/devices/adapter_line.ts";
import { type AppError, appError } from "../core/errors.ts";
import type { Gpt2Spec } from "../core/model/spec.ts";
import {
  ALL_PROFILES,
  createKernelCache,
  type KernelProfile,
  lanesOf,
  probeLaneWidth,
  profileFor,
} from "../gpu/mod.ts";
import { blasGflops, type BlasResult } from "./blas.ts";
import { tileCeilingGflops } from "./ceiling.ts";
import { type BenchConfig, linearShapes, loadConfigs, trainFlopsPerToken } from "./configs.ts";
import { meterBuffers } from "../adapters/devices/buffer_meter.ts";
import { HYPER, matmulGflops, measureConfig, randomBatch, timeIt, type TrainMeasure } from "./ours.ts";
import { createPeer, type PeerBackend } from "./peer_tfjs.ts";
import { runScaleBench, scaleBenchProblem, type ScaleResult } from "./scale.ts";

export interface BenchOptions {
  readonly peers: ReadonlyArray<PeerBackend>;
  /** The kernel profile to measure; left out, the one the adapter gets (gpu/kernels/profile.ts). */
  readonly profile?: KernelProfile;
  readonly minMs: number;
  readonly log: (line: string) => void;
  /** Also the real-size bench (bench/scale.ts): random checkpoints of real shapes, minutes and gigabytes. */
  readonly scale?: boolean;
  /** With scale, only these of its models (bench/scale.ts SCALE_MODELS) and no tokenize or PyTorch rows. */
  readonly scaleModels?: ReadonlyArray<string>;
}

/** A --profile value, decoded: one of gpu/kernels/profile.ts's ALL_PROFILES. */
export const ProfileArg = t.keyof(
  Object.fromEntries(ALL_PROFILES.map((p) => [p, null])) as Record<KernelProfile, null>,
  ALL_PROFILES.join(" | "),
);

/** The bench's options from its flags, shared by `npm run bench` (bench/node.ts) and `inheritune bench`. */
export const benchOptions = (
  flags: {
    readonly quick?: boolean;
    readonly noPeers?: boolean;
    readonly profile?: KernelProfile;
    readonly scale?: boolean;
    readonly scaleModels?: ReadonlyArray<string>;
  },
  log: (line: string) => void,
): BenchOptions => ({
  peers: flags.noPeers ? [] : flags.quick ? ["webgpu", "wasm"] : ["webgpu", "wasm", "cpu"],
  minMs: flags.quick ? 500 : 2000,
  log,
  ...(flags.profile === undefined ? {} : { profile: flags.profile }),
  ...(flags.scale ? { scale: true } : {}),
  ...(flags.scaleModels === undefined ? {} : { scaleModels: flags.scaleModels }),
});

export interface PeerResult {
  readonly backend: PeerBackend;
  readonly tokens_per_s?: number;
  readonly error?: string;
}

export interface TrainRow extends TrainMeasure {
  readonly config: string;
  readonly batch: string;
  readonly mfu: number;
  /** The same FLOP rate over OpenBLAS's sgemm on this CPU (null without numpy): how far from native. */
  readonly mfu_vs_blas: number | null;
  readonly peer: string;
  readonly peer_tokens_per_s: number | null;
  readonly peers: ReadonlyArray<PeerResult>;
}

export interface BenchResult {
  readonly adapter: string;
  readonly profile: KernelProfile;
  readonly runtime: string;
  /** 1-minute load average at the start and the end: other processes on a small machine skew every number. */
  readonly load: readonly [number, number];
  readonly matmul: ReadonlyArray<{ readonly n: number; readonly gflops: number }>;
  /** The cpu tile's multiply-adds at 1024³ with no loads in the loop (bench/ceiling.ts): the arithmetic bound of that kernel shape here. */
  readonly tile_ceiling_gflops: number | null;
  readonly matmul_shapes: ReadonlyArray<
    {
      readonly config: string;
      readonly what: string;
      readonly N: number;
      readonly I: number;
      readonly O: number;
      readonly gflops: number;
    }
  >;
  readonly blas: BlasResult & { readonly n: number };
  readonly train: ReadonlyArray<TrainRow>;
  readonly scale?: ScaleResult;
}

const peerRun = async (backend: PeerBackend, c: BenchConfig, minMs: number): Promise<PeerResult> => {
  try {
    const peer = await createPeer(backend, c.spec as Gpt2Spec, c.B, c.T, HYPER);
    const mb = randomBatch(c.spec.vocabSize, c.B * c.T);
    const ms = await timeIt(
      minMs,
      async () => {
        await peer.step(mb.tokens, mb.targets);
      },
      backend === "cpu" ? 1 : 5,
      backend === "cpu" ? 1 : 3,
    );
    peer.dispose();
    return { backend, tokens_per_s: (c.B * c.T) / (ms / 1e3) };
  } catch (e) {
    return { backend, error: (e instanceof Error ? e.message : String(e)).split("\n")[0]! };
  }
};

/** The bench on a device. A missing asset is a Left; a GPU failure midway throws (a broken device). */
export const runBench = async (
  acquired: AcquiredDevice,
  runtime: string,
  o: BenchOptions,
): Promise<E.Either<AppError, BenchResult>> => {
  const missingCli = o.scale ? scaleBenchProblem() : undefined;
  if (missingCli !== undefined) return E.left(missingCli);
  const meter = meterBuffers(acquired.device), cache = createKernelCache(acquired.device);
  const width = await probeLaneWidth(cache), profile = o.profile ?? profileFor(acquired.info, width);
  if (width < lanesOf(profile)) {
    return E.left(
      appError(
        "BadArgs",
        `Cannot bench the ${profile} kernels: this device's subgroups do not hold a workgroup of ${
          lanesOf(profile)
        } (gpu/kernels/lanes_probe.ts)`,
        "leave --profile out, or pick cpu or gpu",
      ),
    );
  }
  const configs = await loadConfigs(), load0 = loadavg()[0]!;
  if (E.isLeft(configs)) return configs;
  o.log(adapterLine(runtime, acquired.info, profile));
  const matmul = [];
  for (const n of [256, 512, 1024]) {
    matmul.push({ n, gflops: await matmulGflops(cache, profile, n, n, n, o.minMs) });
    o.log(`matmul ${n}: ${matmul.at(-1)!.gflops.toFixed(2)} GFLOP/s`);
  }
  const ceiling = matmul.at(-1)!.gflops;
  const tileCeiling = (await tileCeilingGflops(cache, 1024, o.minMs)) ?? null;
  o.log(`tile arithmetic without loads, 1024: ${tileCeiling?.toFixed(2) ?? "-"} GFLOP/s`);
  const shapes = [];
  for (const c of configs.right) {
    for (const s of linearShapes(c)) {
      shapes.push({ config: c.name, ...s, gflops: await matmulGflops(cache, profile, s.N, s.I, s.O, o.minMs / 2) });
    }
  }
  const blas = { n: 1024, ...(await blasGflops(1024)) };
  const train: TrainRow[] = [];
  for (const c of configs.right) {
    const ours = await measureConfig(cache, profile, c, meter, o.minMs);
    o.log(
      `${c.name}: train ${ours.tokens_per_s.toFixed(0)} tok/s, forward ${ours.forward_tokens_per_s.toFixed(0)} tok/s`,
    );
    const peers: PeerResult[] = [];
    const stepGflop = (trainFlopsPerToken(c.spec, c.T) * c.B * c.T) / 1e9;
    for (const backend of c.peer ? o.peers : []) {
      // tfjs-cpu (plain JS) runs about 0.1 GFLOP/s here: a minute a step past 10 GFLOP, so those are skipped.
      if (backend === "cpu" && stepGflop > 10) {
        peers.push({ backend, error: `skipped: ${stepGflop.toFixed(0)} GFLOP a step` });
        continue;
      }
      peers.push(await peerRun(backend, c, o.minMs));
      o.log(`${c.name}: tfjs-${backend} ${peers.at(-1)!.tokens_per_s?.toFixed(0) ?? peers.at(-1)!.error}`);
    }
    const first = peers[0];
    train.push({
      config: c.name,
      batch: `${c.B}x${c.T}`,
      ...ours,
      mfu: (trainFlopsPerToken(c.spec, c.T) * ours.tokens_per_s) / (ceiling * 1e9),
      mfu_vs_blas: blas.gflops === undefined
        ? null
        : (trainFlopsPerToken(c.spec, c.T) * ours.tokens_per_s) / (blas.gflops * 1e9),
      peer: first === undefined ? "none" : `tfjs-${first.backend}`,
      peer_tokens_per_s: first?.tokens_per_s ?? null,
      peers,
    });
  }
  const scale = o.scale
    ? await runScaleBench({
      gpu: { kernels: cache, profile, info: acquired.info, meter },
      log: o.log,
      torch: o.scaleModels === undefined,
      ...(o.scaleModels === undefined ? {} : { only: o.scaleModels }),
    })
    : undefined;
  return E.right({
    adapter: describeAdapter(acquired.info),
    profile,
    runtime,
    load: [load0, loadavg()[0]!],
    matmul,
    tile_ceiling_gflops: tileCeiling,
    matmul_shapes: shapes,
    blas,
    train,
    ...(scale === undefined ? {} : { scale }),
  });
};
