/**
 * The bench as a table: matmul GFLOP/s (ours, and OpenBLAS for scale), then per config the
 * training and forward tokens/s, our ratio over each tfjs backend, MFU, the step split into
 * kernel time (the five largest kernels) and host time, and peak live buffer bytes.
 * @module
 */
import type { BenchResult } from "./run.ts";
import { scaleTable } from "./scale_report.ts";
import { mibText } from "../core/report/bytes.ts";
const mib = (b: number): string => mibText(b, 1);

const f = (
  x: number | null | undefined,
  d = 0,
): string => (x === null || x === undefined || Number.isNaN(x) ? "-" : x.toFixed(d));
const pad = (cells: ReadonlyArray<string>, widths: ReadonlyArray<number>): string =>
  cells.map((c, i) => c.padEnd(widths[i]!)).join(" ");

export const benchTable = (r: BenchResult): string => {
  const lines = [
    `adapter: ${r.adapter}`,
    `kernels: ${r.profile}; runtime: ${r.runtime}; load average ${f(r.load[0], 1)} → ${f(r.load[1], 1)}`,
    "",
  ];
  const big = r.matmul.at(-1)!;
  lines.push(`matmul GFLOP/s (our linear forward): ${r.matmul.map((m) => `${m.n}²: ${f(m.gflops, 2)}`).join(", ")}`);
  lines.push(
    `the cpu tile's multiply-adds alone (no loads in the loop, bench/ceiling.ts), 1024³: ${
      f(r.tile_ceiling_gflops, 2)
    } GFLOP/s`,
  );
  lines.push(
    r.blas.gflops !== undefined
      ? `OpenBLAS sgemm 1024² via numpy (${r.blas.library}): ${f(r.blas.gflops, 1)} GFLOP/s; ours is ${
        f((100 * big.gflops) / r.blas.gflops, 1)
      }% of it`
      : `OpenBLAS: ${r.blas.note}`,
  );
  lines.push(
    `model shapes: ${
      r.matmul_shapes.map((s) =>
        `${s.config.split(" ")[0]}/${s.config.split(" ")[1] ?? ""} ${s.what} ${s.N}x${s.I}x${s.O}: ${f(s.gflops, 1)}`
      ).join("; ")
    }`,
    "",
  );
  const W = [28, 8, 10, 10, 13, 28, 30];
  lines.push(
    pad([
      "config",
      "batch",
      "train t/s",
      "fwd t/s",
      "MFU (BLAS)",
      "timed step ms = kern + host",
      "tfjs peers t/s (ours ×)",
    ], W),
  );
  for (const t of r.train) {
    const peers = t.peers.map((p) => (p.tokens_per_s !== undefined
      ? `${p.backend} ${f(p.tokens_per_s)} (×${f(t.tokens_per_s / p.tokens_per_s, 1)})`
      : `${p.backend}: ${p.error}`)
    ).join(", ") || "-";
    lines.push(
      pad([
        t.config,
        t.batch,
        f(t.tokens_per_s),
        f(t.forward_tokens_per_s),
        `${f(100 * t.mfu, 1)}% (${t.mfu_vs_blas === null ? "-" : f(100 * t.mfu_vs_blas, 1)}%)`,
        `${f(t.timed_step_ms)} = ${f(t.kernel_ms)} + ${f(t.host_ms)}`,
        peers,
      ], W),
    );
  }
  lines.push("");
  for (const t of r.train) {
    const top = t.kernels.slice(0, 6).map((k) => `${k.kernel} ${f(k.ms, 1)} ms ×${k.count}`).join(", ");
    lines.push(
      `${t.config}: peak live buffers ${mib(t.peak_bytes)}; largest kernels per step: ${top || "(no timestamp-query)"}`,
    );
  }
  lines.push(
    "",
    "MFU = (6·P + 12·L·C·T)·tokens/s over our 1024² matmul (in brackets: over OpenBLAS's sgemm);",
    "memory = sum of the sizes of the buffers we created and had not destroyed (not what the driver holds).",
  );
  if (r.scale !== undefined) lines.push("", "At real size (bench --scale):", scaleTable(r.scale));
  return `${lines.join("\n")}\n`;
};
