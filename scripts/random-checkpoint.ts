/**
 * Write a random-weight checkpoint of a real shape (bench/random_checkpoint.ts) for measuring by hand, under
 * Deno, which reads the TypeScript directly:
 * `npx deno run -A scripts/random-checkpoint.ts <gpt2-124m|gpt2-355m|tinyllama-1.1b|openllama-3b> <dir>
 *  [bf16|f16|f32] [seed] [max shard bytes] [tokenizer.json to copy]`.
 * @module
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import { REAL_CONFIGS, writeRandomHfCheckpoint } from "../bench/random_checkpoint.ts";

const [shape = "", dir = "", dtype = "bf16", seed = "1", shard, tokenizer] = process.argv.slice(2);
const config = REAL_CONFIGS[shape];
if (config === undefined || dir === "" || !["bf16", "f16", "f32"].includes(dtype)) {
  console.error(`usage: random-checkpoint.ts <${Object.keys(REAL_CONFIGS).join("|")}> <dir> [bf16|f16|f32] [seed]`);
  process.exit(2);
}
const t0 = performance.now();
const r = await writeRandomHfCheckpoint(dir, config, {
  dtype: dtype as "bf16",
  seed: Number(seed),
  ...(shard !== undefined && shard !== "" ? { maxShardSize: Number(shard) } : {}),
  ...(tokenizer !== undefined ? { extraFiles: [{ name: "tokenizer.json", bytes: readFileSync(tokenizer) }] } : {}),
})();
if (r._tag === "Left") {
  console.error(`error: ${r.left.message}\n---> HINT: ${r.left.hint}`);
  process.exit(1);
}
console.log(`${dir}: ${r.right.join(", ")} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
