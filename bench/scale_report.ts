/**
 * `bench --scale`'s table: per real shape, the file and its half-depth target's commands (time, peak memory),
 * the training measure beside its memory plan, then analyze, tokenize and the PyTorch peer.
 * @module
 */
import type { ScaleResult, ScaleRow } from "./scale.ts";
import { bytesText } from "../core/report/bytes.ts";

const gb = (b: number | null | undefined) => (b === null || b === undefined ? "-" : bytesText(b));
const sec = (s: number) => `${s.toFixed(s < 10 ? 2 : 1)} s`;
const proc = (p: ScaleRow["inspect"]) =>
  p.exit_code === 0 ? `${sec(p.seconds)}, ${gb(p.max_rss_bytes)}` : `failed: ${p.error ?? p.exit_code}`;

const trainCells = (r: ScaleRow): string => {
  const t = r.train;
  if (t === undefined) return "(files only)";
  if ("error" in t) return `failed: ${t.error}`;
  return [
    `${t.batch}×${t.ctx}: eval ${sec(t.eval_s)} (${t.eval_tokens_per_s.toFixed(0)} tok/s)`,
    `step ${sec(t.step_s ?? t.first_step_s)} (first ${sec(t.first_step_s)})`,
    `${t.train_tokens_per_s.toFixed(1)} tok/s, ${(t.train_tflops * 1000).toFixed(1)} GFLOP/s`,
    `plan ${gb(t.plan_bytes)} / allocated ${gb(t.allocated_peak_bytes)}, host ${gb(t.host_rss_bytes)}`,
  ].join("; ");
};

export const scaleTable = (r: ScaleResult): string => {
  const lines = ["model             file               inspect              inherit (half)       target on the device"];
  for (const x of r.rows) {
    lines.push(
      `${x.model.padEnd(17)} ${`${gb(x.file_bytes)} ${x.dtype}`.padEnd(18)} ${proc(x.inspect).padEnd(20)} ${
        proc(x.inherit).padEnd(20)
      } ${trainCells(x)}`,
    );
  }
  for (const x of r.rows.filter((x) => x.analyze !== undefined)) {
    lines.push(
      `analyze ${x.model} half depth, 100 windows × 100 tokens: ${
        proc(x.analyze!.ranks)
      }; with early exits on 1,000 tokens: ${proc(x.analyze!.exits)}`,
    );
  }
  for (const k of r.tokenize) {
    lines.push(
      `tokenize ${(k.corpus_bytes / 1e6).toFixed(0)} MB, ${k.tokenizer}: ${
        k.tokens_per_s === null ? proc(k.run) : `${(k.tokens_per_s / 1e6).toFixed(2)}M tokens/s, ${proc(k.run)}`
      }`,
    );
  }
  const t = r.torch;
  lines.push(
    t === null
      ? "torch peer: not run"
      : t.error !== undefined
      ? `torch peer: ${t.error}`
      : `torch peer (${t.peer}), GPT-2 124M half depth 4×256: ${t.tokens_per_s!.toFixed(1)} tok/s, ${
        t.gflops!.toFixed(1)
      } GFLOP/s`,
  );
  return lines.join("\n") + "\n";
};
