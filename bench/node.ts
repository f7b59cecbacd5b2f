/**
 * `npm run bench`: the bench under Node on Dawn's adapter. Prints the table, writes the JSON to
 * runs/bench.json (or prints it alone with --json); --quick skips the slow tfjs cpu backend,
 * --no-peers all of tfjs, --profile cpu|lanes|lanes16|gpu measures that kernel family instead of the adapter's, --scale
 * adds the real-size bench (bench/scale.ts), --scale-models a,b that bench of those models alone.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { mkdirSync, writeFileSync } from "node:fs";
import { getNodeDevice } from "../adapters/devices/webgpu_node.ts";
import { runtimeLabel } from "../adapters/devices/adapter_line.ts";
import { benchTable } from "./report.ts";
import { benchOptions, ProfileArg, runBench } from "./run.ts";
import { scaleModelsArg } from "./scale.ts";

const args = process.argv.slice(2), json = args.includes("--json");
const profile = args.includes("--profile") ? ProfileArg.decode(args[args.indexOf("--profile") + 1]) : undefined;
if (profile !== undefined && E.isLeft(profile)) {
  process.stderr.write(
    `error: unknown kernel profile "${
      args[args.indexOf("--profile") + 1]
    }"\n---> HINT: use one of ${ProfileArg.name}\n`,
  );
  process.exit(2);
}
const named = args.includes("--scale-models")
  ? scaleModelsArg(args[args.indexOf("--scale-models") + 1] ?? "")
  : undefined;
if (named !== undefined && E.isLeft(named)) {
  process.stderr.write(`error: ${named.left.message}\n---> HINT: ${named.left.hint}\n`);
  process.exit(2);
}
const dev = await getNodeDevice()();
if (E.isLeft(dev)) {
  process.stderr.write(`error: ${dev.left.message}\n---> HINT: ${dev.left.hint}\n`);
  process.exit(1);
}
try {
  const flags = {
    quick: args.includes("--quick"),
    noPeers: args.includes("--no-peers"),
    scale: args.includes("--scale") || named !== undefined,
    ...(named === undefined ? {} : { scaleModels: named.right }),
    ...(profile === undefined ? {} : { profile: profile.right }),
  };
  const result = await runBench(
    dev.right,
    runtimeLabel({ name: "Node", version: process.version, webgpu: "Dawn" }),
    benchOptions(flags, (line) => void process.stderr.write(`${line}\n`)),
  );
  if (E.isLeft(result)) throw new Error(`${result.left.message}\n---> HINT: ${result.left.hint}`);
  const r = result.right;
  if (json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  else {
    process.stdout.write(benchTable(r));
    mkdirSync("runs", { recursive: true });
    writeFileSync("runs/bench.json", JSON.stringify(r, null, 2));
    process.stdout.write("JSON: runs/bench.json\n");
  }
} finally {
  dev.right.release();
}
process.exit(0);
