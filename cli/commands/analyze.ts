/**
 * `inheritune analyze <model> --data <corpus> [--tokens N] [--json] [--out dir]`: per block, the
 * attention rank per head (singular values holding 90% of the attention matrix's energy, averaged
 * over sequences) and its max over heads, the share of key columns holding 90% of the attention
 * mass, the block influence 1 − cos(input, output), and the validation loss of an early exit after
 * the block. A table, JSON, and with --out analysis.json and analysis.svg (the measures by depth).
 * On WebGPU the forward, the attention probabilities and the exits run on the device, a run of
 * windows at a time (adapters/analysis/measure.ts); the host counts the ranks. The time it took is
 * the table's last line and the JSON's "seconds".
 * @module
 */
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type AnalysisSeconds, analyzeBlocksTimed } from "../../adapters/analysis/measure.ts";
import { writeBytesAtomic } from "../../adapters/fs/atomic_write.ts";
import type { BlockReport } from "../../core/surgery/diagnostics.ts";
import type { AppError } from "../../core/errors.ts";
import { lineChart } from "../../core/report/svg_chart.ts";
import { backendFlag, checkpointFlag, type CommandSpec, NonNegIntArg, PosIntArg } from "../args.ts";
import { BackendArg, withBackend } from "../../adapters/devices/backend.ts";
import { devicesOf, type Io } from "../io.ts";
import { loadModelAndData } from "../run_setup.ts";

const AnalyzeArgs = t.intersection([
  t.type({ model: t.string, data: t.string }),
  t.partial({
    tokens: PosIntArg,
    "exit-tokens": NonNegIntArg,
    ctx: PosIntArg,
    out: t.string,
    tokenizer: t.string,
    backend: BackendArg,
    checkpoint: t.boolean,
    json: t.boolean,
  }),
]);
type AnalyzeArgs = t.TypeOf<typeof AnalyzeArgs>;
const s = (help: string) => ({ type: "string", help }) as const;

export const analyzeCommand: CommandSpec<AnalyzeArgs> = {
  name: "analyze",
  usage:
    "analyze <model> --data <corpus> [--tokens N] [--exit-tokens N] [--ctx T] [--out dir] [--backend webgpu|cpu] [--json]",
  summary:
    "Measure every block: attention rank per head (lazy = 1), 90%-mass column share, block influence, early-exit loss.",
  positionals: ["model"],
  flags: {
    data: s("corpus whose held-out split is measured (required)"),
    tokens: s("held-out tokens to measure (default 3200: 32 sequences of 100)"),
    "exit-tokens": s(
      "of those, the first tokens whose early-exit loss is measured (default all; 0: none, the loss is then null; the LM head after every block costs more than the blocks)",
    ),
    ctx: s("tokens per sequence (default 100, the paper's)"),
    out: s("folder for analysis.json and analysis.svg"),
    tokenizer: s("tokenizer file, when none sits beside the model"),
    backend: backendFlag,
    checkpoint: checkpointFlag,
    json: { type: "boolean", help: "print the measures as JSON" },
  },
  codec: AnalyzeArgs,
};

const table = (rows: ReadonlyArray<BlockReport>): string => {
  const head = "block  head ranks (mean over sequences)           max rank  90% cols  influence  early-exit loss";
  return [
    head,
    ...rows.map((r) =>
      `${String(r.block).padStart(5)}  ${r.headRanks.map((x) => x.toFixed(1).padStart(5)).join("").padEnd(42)} ${
        r.maxRank.toFixed(2).padStart(8)
      } ${r.columnShare.toFixed(3).padStart(9)} ${r.influence.toFixed(4).padStart(10)} ${
        (Number.isNaN(r.earlyExitLoss) ? "–" : r.earlyExitLoss.toFixed(4)).padStart(16)
      }`
    ),
  ].join("\n") + "\n";
};

const timeLine = (backend: string, t: AnalysisSeconds): string =>
  `on ${backend}: setup ${t.setup.toFixed(1)} s, runs ${t.runs.toFixed(1)} s (${t.windowsPerRun} windows each), ` +
  `host measures ${t.measures.toFixed(1)} s; ${
    t.exitSequences === 0 ? "no early exits" : `early exits on the first ${t.exitSequences} windows`
  }\n`;

/** Two charts stacked: the attention and influence measures, then the early-exit loss (when exits were measured). */
export const analysisChart = (name: string, rows: ReadonlyArray<BlockReport>, T: number): string => {
  const pts = (f: (r: BlockReport) => number) => rows.map((r) => [r.block, f(r)] as const);
  const top = lineChart({
    title: `${name}: attention and influence by block`,
    xLabel: "block",
    yLabel: "measure",
    series: [
      { label: "max head rank / T", points: pts((r) => r.maxRank / T) },
      { label: "90%-mass column share", points: pts((r) => r.columnShare) },
      { label: "block influence", points: pts((r) => r.influence) },
    ],
  });
  const exits = rows.some((r) => Number.isFinite(r.earlyExitLoss));
  const bottom = exits
    ? lineChart({
      title: `${name}: validation loss of an early exit`,
      xLabel: "block",
      yLabel: "loss (nats/token)",
      series: [{ label: "early exit", points: pts((r) => r.earlyExitLoss) }],
    })
    : "";
  const inner = (svg: string, y: number) => svg.replace("<svg ", `<svg y="${y}" `);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="720" height="${exits ? 880 : 440}">\n${inner(top, 0)}${
    inner(bottom, 440)
  }</svg>\n`;
};

export const runAnalyze = async (a: AnalyzeArgs, io: Io): Promise<E.Either<AppError, void>> => {
  const p = await loadModelAndData(a.model, a.data, a.tokenizer, a.checkpoint);
  if (E.isLeft(p)) return p;
  const { model: m, data } = p.right;
  const T = a.ctx ?? 100, sequences = Math.max(1, Math.floor((a.tokens ?? 3200) / T));
  return withBackend(devicesOf(io), a.backend, async (b) => {
    const r = await analyzeBlocksTimed(
      m.spec,
      m.weights,
      data.val,
      {
        sequences,
        T,
        ...(a["exit-tokens"] === undefined
          ? {}
          : { exitSequences: a["exit-tokens"] === 0 ? 0 : Math.max(1, Math.floor(a["exit-tokens"] / T)) }),
      },
      b._tag === "webgpu" ? b : undefined,
    );
    if (E.isLeft(r)) return r;
    const blocks = r.right.blocks, seconds = r.right.seconds;
    const result = {
      model: a.model,
      T: Math.min(T, m.spec.blockSize),
      sequences,
      heads: m.spec.nHead,
      backend: b._tag,
      blocks,
      seconds,
    };
    if (a.out !== undefined) {
      await mkdir(a.out, { recursive: true });
      for (
        const [name, text] of [["analysis.json", JSON.stringify(result, null, 2) + "\n"], [
          "analysis.svg",
          analysisChart(a.model, blocks, result.T),
        ]] as const
      ) {
        const w = await writeBytesAtomic(join(a.out, name), "analysis", new TextEncoder().encode(text))();
        if (E.isLeft(w)) return w;
      }
    }
    io.out(a.json ? JSON.stringify(result) + "\n" : table(blocks) + timeLine(b._tag, seconds));
    return E.right(undefined);
  });
};
