/**
 * `npm run bench`: the bench under Node on Dawn's adapter. Prints the table, writes the JSON to
 * runs/bench.json (or prints it alone with --json); --quick skips the slow tfjs cpu backend,
 * --no-peers all of tfjs, --profile cpu|lanes|gpu measures that kernel family instead of the adapter's.
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import { mkdirSync, writeFileSync } from "node:fs";
import { getNodeDevice } from "../adapters/webgpu_node.ts";
import { KERNEL_PROFILES, type KernelProfile } from "../gpu/profile.ts";
import { benchTable } from "./report.ts";
import { runBench } from "./run.ts";

const args = process.argv.slice(2), json = args.includes("--json");
const profileArg = args.includes("--profile") ? args[args.indexOf("--profile") + 1] : undefined;
if (profileArg !== undefined && !KERNEL_PROFILES.includes(profileArg as KernelProfile)) {
  process.stderr.write(`error: unknown kernel profile "${profileArg}"\n---> HINT: use one of ${KERNEL_PROFILES.join(", ")}\n`);
  process.exit(2);
}
const dev = await getNodeDevice()();
if (E.isLeft(dev)) {
  process.stderr.write(`error: ${dev.left.message}\n---> HINT: ${dev.left.hint}\n`);
  process.exit(1);
}
try {
  const result = await runBench(dev.right, `node ${process.version}`, {
    peers: args.includes("--no-peers") ? [] : args.includes("--quick") ? ["webgpu", "wasm"] : ["webgpu", "wasm", "cpu"],
    ...(profileArg === undefined ? {} : { profile: profileArg as KernelProfile }),
    minMs: args.includes("--quick") ? 500 : 2000,
    log: (line) => void process.stderr.write(`${line}\n`),
  });
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
