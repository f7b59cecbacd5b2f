/**
 * A grouped bar chart as an SVG string, in the hand-written style of core/report/svg_chart.ts: one
 * group per task, one bar per model (its headline metric, core/eval/report.ts), a ±stderr whisker,
 * and a dashed line at the task's chance level where it has one. Pure: data in, text out.
 * @module
 */
import { headline, type ModelResults } from "./report.ts";

const W = 720, H = 440, M = { l: 70, r: 180, t: 40, b: 70 };
const COLORS = ["#555555", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"];
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export const barChart = (
  title: string,
  models: ReadonlyArray<ModelResults>,
  chance: Readonly<Record<string, number>> = {},
): string => {
  const tasks = [...new Set(models.flatMap((m) => Object.keys(m.results)))];
  const plotW = W - M.l - M.r, plotH = H - M.t - M.b, group = plotW / Math.max(1, tasks.length);
  const bar = (group * 0.8) / Math.max(1, models.length);
  const py = (y: number) => H - M.b - Math.max(0, Math.min(1, y)) * plotH;
  const grid = [0, 0.2, 0.4, 0.6, 0.8, 1].map((t) =>
    `<line x1="${M.l}" y1="${py(t)}" x2="${W - M.r}" y2="${py(t)}" stroke="#eee"/><text x="${M.l - 8}" y="${
      py(t) + 4
    }" text-anchor="end">${t.toFixed(1)}</text>`
  );
  const groups = tasks.map((task, g) => {
    const x0 = M.l + g * group + group * 0.1;
    const bars = models.map((m, i) => {
      const h = m.results[task] === undefined ? null : headline(m.results[task]!);
      if (h === null) return "";
      const x = x0 + i * bar, col = COLORS[i % COLORS.length]!, cx = (x + bar / 2).toFixed(1);
      const whisker = Number.isFinite(h.stderr)
        ? `<line x1="${cx}" y1="${py(h.value - h.stderr).toFixed(1)}" x2="${cx}" y2="${
          py(h.value + h.stderr).toFixed(1)
        }" stroke="#000"/>`
        : "";
      return `<rect x="${x.toFixed(1)}" y="${py(h.value).toFixed(1)}" width="${(bar * 0.9).toFixed(1)}" height="${
        (H - M.b - py(h.value)).toFixed(1)
      }" fill="${col}"><title>${esc(`${m.name} ${task} ${h.metric} ${h.value.toFixed(4)}`)}</title></rect>` + whisker;
    });
    const c = chance[task];
    const line = c === undefined
      ? ""
      : `<line x1="${x0.toFixed(1)}" y1="${py(c)}" x2="${(x0 + group * 0.8).toFixed(1)}" y2="${
        py(c)
      }" stroke="#555" stroke-dasharray="6 4"/>`;
    const label = `<text x="${(x0 + group * 0.4).toFixed(1)}" y="${H - M.b + 18}" text-anchor="middle">${
      esc(task)
    }</text>`;
    return bars.join("") + line + label;
  });
  const legend = models.map((m, i) =>
    `<text x="${W - M.r + 10}" y="${M.t + 18 * i + 10}" fill="${COLORS[i % COLORS.length]!}">${esc(m.name)}</text>`
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    ...grid,
    `<rect x="${M.l}" y="${M.t}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`,
    `<text x="${W / 2 - M.r / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`,
    `<text x="${(M.l + W - M.r) / 2}" y="${H - 20}" text-anchor="middle">task (dashed: chance)</text>`,
    `<text transform="translate(18 ${
      (M.t + H - M.b) / 2
    }) rotate(-90)" text-anchor="middle">accuracy (acc_norm where the task has it)</text>`,
    ...groups,
    ...legend,
    "</svg>",
    "",
  ].join("\n");
};
