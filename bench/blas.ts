/**
 * The native reference: OpenBLAS's sgemm through numpy (python3), at n × n, best of a few runs.
 * Undefined, with the reason, when python3 or numpy is missing.
 * @module
 */
import { execFile } from "node:child_process";

const SCRIPT = `
import sys, time
import numpy as np
n = int(sys.argv[1]); a = np.random.rand(n, n).astype(np.float32); b = np.random.rand(n, n).astype(np.float32)
a @ b
best = min((lambda t0: (a @ b, time.perf_counter() - t0)[1])(time.perf_counter()) for _ in range(10))
cfg = np.show_config(mode="dicts") if hasattr(np, "show_config") else {}
lib = cfg.get("Build Dependencies", {}).get("blas", {}).get("name", "?") if isinstance(cfg, dict) else "?"
print(2 * n ** 3 / best / 1e9, lib)
`;

export interface BlasResult {
  readonly gflops?: number;
  readonly library?: string;
  readonly note?: string;
}

export const blasGflops = (n: number): Promise<BlasResult> =>
  new Promise((resolve) => {
    execFile("python3", ["-c", SCRIPT, String(n)], { timeout: 60_000 }, (err, stdout) => {
      if (err !== null) return resolve({ note: `no numpy sgemm: ${String(err.message).split("\n")[0]}` });
      const [g, lib] = stdout.trim().split(/\s+/);
      resolve({ gflops: Number(g), library: lib ?? "?" });
    });
  });
