/**
 * The PyTorch peer of `bench --scale` (bench/peer_torch.py): the same GPT-2 shape trained on the CPU with
 * Debian's python3-torch, OMP_WAIT_POLICY=PASSIVE (its idle threads sleep instead of spinning against ours)
 * and a fixed thread count. Absent torch gives an error value, not a failed bench.
 * @module
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface TorchShape {
  readonly layers: number;
  readonly embd: number;
  readonly heads: number;
  readonly ctx: number;
  readonly vocab: number;
  readonly batch: number;
  readonly steps: number;
}

export interface TorchResult {
  readonly peer?: string;
  readonly tokens_per_s?: number;
  readonly gflops?: number;
  readonly ms_per_step?: number;
  readonly error?: string;
}

const SCRIPT = fileURLToPath(new URL("../bench/peer_torch.py", import.meta.url));
/** Debian's python3, where python3-torch lives; a pyenv or venv python3 earlier on PATH usually lacks it. */
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

export const runTorchPeer = (s: TorchShape, threads = 2): Promise<TorchResult> =>
  new Promise((resolve) => {
    const args = [
      SCRIPT,
      ...Object.entries(s).flatMap(([k, v]) => [`--${k}`, String(v)]),
      "--threads",
      String(threads),
    ];
    const env = { ...process.env, OMP_WAIT_POLICY: "PASSIVE", OMP_NUM_THREADS: String(threads) };
    const child = spawn(PYTHON, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", (e) => resolve({ error: `python3: ${e.message}` }));
    child.on("close", (code) => {
      if (code !== 0) return resolve({ error: err.trim().split("\n").at(-1) ?? `exit ${code}` });
      try {
        resolve(JSON.parse(out.trim().split("\n").at(-1)!) as TorchResult);
      } catch {
        resolve({ error: `unreadable output: ${out.slice(0, 200)}` });
      }
    });
  });
