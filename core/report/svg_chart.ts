/**
 * A line chart as an SVG string: validation loss against tokens for several runs, with horizontal
 * reference lines (the full reference model's loss). Pure: data in, text out.
 * @module
 */

export interface Series {
  readonly label: string;
  readonly points: ReadonlyArray<readonly [number, number]>; // (x, y)
}

export interface ChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: ReadonlyArray<Series>;
  readonly hlines?: ReadonlyArray<{ readonly label: string; readonly y: number }>;
}

const W = 720, H = 440, M = { l: 70, r: 180, t: 40, b: 55 };
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"];
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fmt = (v: number) => (Math.abs(v) >= 1000 ? `${+(v / 1000).toFixed(1)}k` : `${+v.toFixed(3)}`);

/** Ticks at round values covering [lo, hi]. */
const ticks = (lo: number, hi: number, n = 5): number[] => {
  const step0 = (hi - lo) / n || 1, mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) out.push(+v.toFixed(10));
  return out;
};

export const lineChart = (c: ChartSpec): string => {
  const xs = c.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = [...c.series.flatMap((s) => s.points.map((p) => p[1])), ...(c.hlines ?? []).map((h) => h.y)].filter(
    Number.isFinite,
  );
  const [x0, x1] = [Math.min(0, ...xs), Math.max(1, ...xs)];
  const pad = (Math.max(...ys) - Math.min(...ys)) * 0.05 || 0.1;
  const [y0, y1] = [Math.min(...ys) - pad, Math.max(...ys) + pad];
  const px = (x: number) => M.l + ((x - x0) / (x1 - x0)) * (W - M.l - M.r);
  const py = (y: number) => H - M.b - ((y - y0) / (y1 - y0)) * (H - M.t - M.b);
  const grid = [
    ...ticks(x0, x1).map((t) =>
      `<line x1="${px(t)}" y1="${M.t}" x2="${px(t)}" y2="${H - M.b}" stroke="#eee"/><text x="${px(t)}" y="${
        H - M.b + 18
      }" text-anchor="middle">${fmt(t)}</text>`
    ),
    ...ticks(y0, y1).map((t) =>
      `<line x1="${M.l}" y1="${py(t)}" x2="${W - M.r}" y2="${py(t)}" stroke="#eee"/><text x="${M.l - 8}" y="${
        py(t) + 4
      }" text-anchor="end">${fmt(t)}</text>`
    ),
  ];
  const lines = c.series.map((s, i) => {
    const col = COLORS[i % COLORS.length]!, pts = s.points.filter((p) => Number.isFinite(p[1]));
    const d = pts.map((p, k) => `${k === 0 ? "M" : "L"}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(" ");
    return `<path d="${d}" fill="none" stroke="${col}" stroke-width="2"/>` + pts.map((p) =>
      `<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="2.5" fill="${col}"/>`
    ).join("") +
      `<text x="${W - M.r + 10}" y="${M.t + 18 * i + 10}" fill="${col}">${esc(s.label)}</text>`;
  });
  const refs = (c.hlines ?? []).map((h, i) =>
    `<line x1="${M.l}" y1="${py(h.y)}" x2="${W - M.r}" y2="${py(h.y)}" stroke="#555" stroke-dasharray="6 4"/>` +
    `<text x="${W - M.r + 10}" y="${M.t + 18 * (c.series.length + i) + 10}" fill="#555">${esc(h.label)} (${
      fmt(h.y)
    })</text>`
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    ...grid,
    `<rect x="${M.l}" y="${M.t}" width="${W - M.l - M.r}" height="${H - M.t - M.b}" fill="none" stroke="#333"/>`,
    `<text x="${W / 2 - M.r / 2}" y="22" text-anchor="middle" font-size="15">${esc(c.title)}</text>`,
    `<text x="${(M.l + W - M.r) / 2}" y="${H - 12}" text-anchor="middle">${esc(c.xLabel)}</text>`,
    `<text transform="translate(18 ${(M.t + H - M.b) / 2}) rotate(-90)" text-anchor="middle">${esc(c.yLabel)}</text>`,
    ...refs,
    ...lines,
    "</svg>",
    "",
  ].join("\n");
};
