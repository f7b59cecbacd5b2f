/**
 * `inheritune bench [--json] [--quick] [--no-peers] [--profile p] [--scale] [--scale-models a,b]`: the performance bench (bench/run.ts) on this runtime's
 * WebGPU adapter: matmul GFLOP/s, forward and training tokens/s of three configs, the step split,
 * peak memory, MFU, and the tfjs peers. Prints bench/report.ts's table, or one JSON object.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { benchTable } from "../../bench/report.ts";
import { benchOptions, ProfileArg, runBench } from "../../bench/run.ts";
import { SCALE_MODEL_NAMES, scaleModelsArg } from "../../bench/scale.ts";
import type { AppError } from "../../core/errors.ts";
import type { CommandSpec } from "../args.ts";
import type { Io } from "../io.ts";
import { runtimeLabel } from "../../adapters/devices/adapter_line.ts";

const BenchArgs = t.partial({
  json: t.boolean,
  quick: t.boolean,
  "no-peers": t.boolean,
  profile: ProfileArg,
  scale: t.boolean,
  "scale-models": t.string,
});

export const benchCommand: CommandSpec<t.TypeOf<typeof BenchArgs>> = {
  name: "bench",
  usage: "bench [--json] [--quick] [--no-peers] [--profile cpu|lanes|lanes16|gpu] [--scale] [--scale-models a,b]",
  summary: "Measure kernels, forward and training throughput against tfjs and OpenBLAS on this adapter.",
  positionals: [],
  flags: {
    json: { type: "boolean", help: "print one JSON object (matmul, train, ...) instead of the table" },
    quick: { type: "boolean", help: "shorter timings, and no tfjs cpu backend (the slowest peer)" },
    "no-peers": { type: "boolean", help: "measure only ours, no tfjs" },
    profile: { type: "string", help: "kernel family to measure: cpu | lanes | lanes16 | gpu (default: the adapter's)" },
    scale: {
      type: "boolean",
      help: "also the real-size bench (bench/scale.ts): random GPT-2 124M/355M, TinyLlama-1.1B, OpenLLaMA-3B shapes; " +
        "needs `npm run build`, ~10 GB of /tmp and 20+ minutes on a CPU adapter",
    },
    "scale-models": {
      type: "string",
      help: `the real-size bench of these models alone (implies --scale; no tokenize or PyTorch rows): ${
        SCALE_MODEL_NAMES.join(", ")
      }`,
    },
  },
  codec: BenchArgs,
};

export const runBenchCommand = async (a: t.TypeOf<typeof BenchArgs>, io: Io): Promise<E.Either<AppError, void>> => {
  const models = a["scale-models"] === undefined ? E.right(undefined) : scaleModelsArg(a["scale-models"]);
  if (E.isLeft(models)) return models;
  const dev = await io.getDevice()();
  if (E.isLeft(dev)) return dev;
  try {
    const runtime = runtimeLabel(io.runtime);
    const flags = {
      quick: a.quick === true,
      noPeers: a["no-peers"] === true,
      scale: a.scale === true || models.right !== undefined,
      ...(models.right === undefined ? {} : { scaleModels: models.right }),
      ...(a.profile === undefined ? {} : { profile: a.profile }),
    };
    const r = await runBench(dev.right, runtime, benchOptions(flags, (line) => io.err(`${line}\n`)));
    if (E.isLeft(r)) return r;
    io.out(a.json ? `${JSON.stringify(r.right, null, 2)}\n` : benchTable(r.right));
    return E.right(undefined);
  } finally {
    dev.right.release();
  }
};
