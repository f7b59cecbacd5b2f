#!/usr/bin/env bash
# The bench on a machine with a real GPU (or any other), under Node (Dawn) and then Deno (wgpu):
# one script that fits in a few minutes (--quick timings, tfjs webgpu and wasm peers), then the
# real-size bench (bench/scale.ts: GPT-2 124M/355M, TinyLlama-1.1B, OpenLLaMA-3B shapes) under Node.
# Tables go to runs/bench-node.txt, runs/bench-deno.txt and runs/bench-scale.txt, Node's JSON to runs/bench.json.
# Usage: bash scripts/bench-gpu.sh   (runs `npm ci` first when node_modules is missing)
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p runs
[ -d node_modules ] || npm ci
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee runs/gpu.txt || true
node scripts/build.mjs
node bench/build.mjs
timeout 420 node dist/bench.mjs --quick | tee runs/bench-node.txt
timeout 420 ./node_modules/deno/deno run --allow-all cli/deno.ts bench --quick | tee runs/bench-deno.txt
timeout 900 node dist/bench.mjs --quick --no-peers --scale | tee runs/bench-scale.txt
