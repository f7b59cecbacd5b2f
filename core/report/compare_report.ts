/**
 * The comparison report of `inheritune compare`: the paper's experiment (Table "half depth,
 * scratch vs Inheritune" against the full reference) in miniature, as data, Markdown and a chart.
 * Pure: metrics in, text out.
 * @module
 */
import { lineChart } from "./svg_chart.ts";

export interface ArmResult {
  readonly name: string; // the strategy, e.g. "first:3", "influence:3", "scratch"
  readonly reason: string; // why these blocks
  readonly blocks: ReadonlyArray<number> | null; // reference blocks kept; null for scratch
  readonly valLossInitial: number;
  readonly valLoss: number;
  readonly trainLoss: number | null;
  readonly tokens: number;
  readonly tokensPerS: number | null;
  readonly curve: ReadonlyArray<readonly [number, number]>; // (tokens, val loss)
  readonly out: string;
}

export interface CompareReport {
  readonly reference: { readonly source: string; readonly nLayer: number; readonly valLoss: number };
  readonly arms: ReadonlyArray<ArmResult>;
  readonly settings: Readonly<Record<string, unknown>>;
  /** `compare --subsets`: how each arm's training subset was chosen, by arm name. */
  readonly subsets?: Readonly<Record<string, SubsetSummary>>;
}

/** A training subset chosen by document (adapters/data/choose_subset.ts's record, the fields shown). */
export interface SubsetSummary {
  readonly strategy: string;
  readonly dedup: boolean;
  readonly documents: number;
  readonly mean_nll: number | null;
  readonly pool_mean_nll: number | null;
  readonly band: { readonly quantiles: readonly [number, number]; readonly nll: readonly [number, number] } | null;
}

const subsetTable = (subs: Readonly<Record<string, SubsetSummary>>): string[] => [
  "| subset | documents | mean reference loss of its tokens | pool's | loss band (quantiles) |",
  "| --- | ---: | ---: | ---: | --- |",
  ...Object.entries(subs).map(([name, s]) =>
    `| ${name} | ${s.documents} | ${f4(s.mean_nll)} | ${f4(s.pool_mean_nll)} | ${
      s.band === null
        ? "–"
        : `${s.band.nll.map((x) => x.toFixed(3)).join("–")} (${s.band.quantiles.map((q) => q.toFixed(2)).join("–")})`
    } |`
  ),
  "",
];

const f4 = (x: number | null) => (x === null ? "–" : x.toFixed(4));

export const reportMarkdown = (r: CompareReport): string => {
  const best = r.arms.reduce((a, b) => (b.valLoss < a.valLoss ? b : a));
  return [
    `# Inheritune comparison`,
    "",
    `Reference: \`${r.reference.source}\` (${r.reference.nLayer} blocks), validation loss **${
      r.reference.valLoss.toFixed(4)
    }**.`,
    `Every target trained on the same tokens, seed and schedule (${
      Object.entries(r.settings).map(([k, v]) => `${k} ${v}`).join(", ")
    }).`,
    "",
    "| target | blocks | val loss before | val loss after | gap to reference | tokens | tokens/s |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    `| reference | all ${r.reference.nLayer} | | ${r.reference.valLoss.toFixed(4)} | 0 | | |`,
    ...r.arms.map((a) =>
      `| ${a.name} | ${a.blocks === null ? "none (random init)" : a.blocks.join(",")} | ${f4(a.valLossInitial)} | ${
        f4(a.valLoss)
      } | ${(a.valLoss - r.reference.valLoss >= 0 ? "+" : "")}${(a.valLoss - r.reference.valLoss).toFixed(4)} | ${
        a.tokens.toLocaleString("en-US")
      } | ${a.tokensPerS === null ? "–" : a.tokensPerS.toFixed(0)} |`
    ),
    "",
    `Lowest validation loss: **${best.name}** (${best.valLoss.toFixed(4)})` +
    (r.arms.length > 1
      ? `, ${
        (Math.min(...r.arms.filter((a) => a !== best).map((a) => a.valLoss)) - best.valLoss).toFixed(4)
      } below the next.`
      : "."),
    "",
    ...r.arms.map((a) => `- ${a.name}: ${a.reason}`),
    "",
    ...(r.subsets === undefined ? [] : subsetTable(r.subsets)),
    "![validation loss against tokens](curves.svg)",
    "",
  ].join("\n");
};

export const reportChart = (r: CompareReport): string =>
  lineChart({
    title: "Validation loss against training tokens",
    xLabel: "training tokens",
    yLabel: "validation loss (nats/token)",
    series: r.arms.map((a) => ({ label: a.name, points: a.curve })),
    hlines: [{ label: `reference, ${r.reference.nLayer} blocks`, y: r.reference.valLoss }],
  });
