/**
 * The whole study on one chart: final accuracy against the weight scale (log axis), Batch Norm
 * solid and the plain network dashed, one colour per grid combination, a min–max band over
 * repeats, and the test accuracy dotted when measured.
 */

import type { GridValues } from "./config";
import { combinationTitle, escapeXml } from "./titles";
import { type ExperimentView, experimentsAt, type SweepView, sweepCombinations } from "./view";

const WIDTH = 720;
const HEIGHT = 420;
const MARGIN = { left: 56, right: 20, top: 36, bottom: 48 };
const LEGEND_ROW = 18;
/** Colours of the combinations (matplotlib's tab10). */
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

/** One series: a network's final accuracy per weight scale, mean and range over repeats. */
export interface SummarySeries {
  combination: number;
  values: GridValues;
  network: "batchNorm" | "plain" | "testBatchNorm" | "testPlain";
  points: { weightScale: number; mean: number; min: number; max: number }[];
}

/** The series of a sweep: per combination, each network (and split) that has points. */
export function summarySeries(view: SweepView): SummarySeries[] {
  const combinations = sweepCombinations(view);
  const networks = ["batchNorm", "plain", "testBatchNorm", "testPlain"] as const;
  const out: SummarySeries[] = [];
  combinations.forEach((values, combination) => {
    for (const network of networks) {
      const points = view.config.weightScales.flatMap((weightScale, s) => {
        const finals = experimentsAt(view, combination, s)
          .flatMap((e: ExperimentView) => {
            const list = e[network];
            return list && list.length > 0 ? [list[list.length - 1]] : [];
          })
          .map((v) => (Number.isFinite(v) ? v : 0));
        if (finals.length === 0) return [];
        const mean = finals.reduce((a, b) => a + b, 0) / finals.length;
        return [{ weightScale, mean, min: Math.min(...finals), max: Math.max(...finals) }];
      });
      if (points.length > 0) out.push({ combination, values, network, points });
    }
  });
  return out;
}

const DASH = { batchNorm: "", plain: "6 4", testBatchNorm: "1 3", testPlain: "1 3" } as const;

/** Curves of one colour: a sweep's grid combination, with its legend label. */
interface Group {
  label: string;
  series: SummarySeries[];
}

/** The groups of a sweep, one per combination; labels prefixed (for comparisons) when asked. */
function groups(view: SweepView, prefix: string): Group[] {
  const series = summarySeries(view);
  const combinations = sweepCombinations(view);
  return combinations.map((values, c) => {
    const name = combinations.length > 1 ? combinationTitle(values) : "";
    return { label: [prefix, name].filter(Boolean).join(" ") || "this sweep", series: series.filter((s) => s.combination === c) };
  });
}

/** The chart: groups in colours, each network in its dash, on a log axis over `scales`. */
function chart(all: Group[], scales: readonly number[], title: string): string {
  const lo = Math.log10(Math.min(...scales));
  const hi = Math.log10(Math.max(...scales));
  const span = hi - lo || 1;
  const legendH = (all.length + 1) * LEGEND_ROW + 8;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const w = WIDTH - MARGIN.left - MARGIN.right;
  const x = (scale: number) => MARGIN.left + (hi === lo ? w / 2 : ((Math.log10(scale) - lo) / span) * w);
  const y = (v: number) => MARGIN.top + (1 - Math.min(Math.max(v, 0), 1)) * plotH;
  let axes = `<g class="axes"><rect x="${MARGIN.left}" y="${MARGIN.top}" width="${w}" height="${plotH}" fill="none" stroke="#999"/>`;
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    axes += `<line x1="${MARGIN.left}" x2="${MARGIN.left + w}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`;
    axes += `<text class="tick y" x="${MARGIN.left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="10">${v}</text>`;
  }
  for (let p = Math.ceil(lo); p <= Math.floor(hi); p++) {
    axes += `<text class="tick x" x="${x(10 ** p)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle" font-size="10">1e${p}</text>`;
  }
  axes += `<text class="label x" x="${MARGIN.left + w / 2}" y="${MARGIN.top + plotH + 36}" text-anchor="middle" font-size="12">initial weight scale (log)</text>`;
  axes += `<text class="label y" transform="translate(14 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="12">final accuracy</text></g>`;
  let body = "";
  all.forEach((group, g) => {
    const color = COLORS[g % COLORS.length];
    for (const s of group.series) {
      const dash = DASH[s.network];
      if (s.points.some((p) => p.max > p.min)) {
        const upper = s.points.map((p) => `${x(p.weightScale).toFixed(1)},${y(p.max).toFixed(1)}`);
        const lower = s.points.map((p) => `${x(p.weightScale).toFixed(1)},${y(p.min).toFixed(1)}`).reverse();
        body += `<polygon class="band" points="${[...upper, ...lower].join(" ")}" fill="${color}" fill-opacity="0.12" stroke="none"/>`;
      }
      const d = s.points.map((p, i) => `${i === 0 ? "M" : "L"}${x(p.weightScale).toFixed(1)},${y(p.mean).toFixed(1)}`).join("");
      body += `<path class="series" data-network="${s.network}" data-combination="${s.combination}" data-group="${g}" d="${d}" fill="none" stroke="${color}" stroke-width="1.8"${dash ? ` stroke-dasharray="${dash}"` : ""}/>`;
    }
  });
  const top = HEIGHT;
  let legend = `<g class="legend">`;
  legend += `<line x1="16" x2="44" y1="${top + 10}" y2="${top + 10}" stroke="#333" stroke-width="2"/><text x="50" y="${top + 14}" font-size="11">Batch Norm</text>`;
  legend += `<line x1="140" x2="168" y1="${top + 10}" y2="${top + 10}" stroke="#333" stroke-width="2" stroke-dasharray="6 4"/><text x="174" y="${top + 14}" font-size="11">plain</text>`;
  if (all.some((g) => g.series.some((s) => s.network.startsWith("test"))))
    legend += `<line x1="240" x2="268" y1="${top + 10}" y2="${top + 10}" stroke="#333" stroke-width="2" stroke-dasharray="1 3"/><text x="274" y="${top + 14}" font-size="11">test</text>`;
  all.forEach((group, g) => {
    const ly = top + (g + 1) * LEGEND_ROW + 10;
    legend += `<rect x="16" y="${ly - 8}" width="28" height="8" fill="${COLORS[g % COLORS.length]}"/><text class="combination" x="50" y="${ly}" font-size="11">${escapeXml(group.label)}</text>`;
  });
  legend += "</g>";
  const height = HEIGHT + legendH;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" font-family="sans-serif">
<title>${escapeXml(title)}</title>
<rect width="100%" height="100%" fill="white"/>${axes}${body}${legend}</svg>
`;
}

/** The summary chart of one sweep as an SVG document. */
export function summarySvg(view: SweepView): string {
  return chart(groups(view, ""), view.config.weightScales, `Final accuracy against the initial weight scale, sweep ${view.id}`);
}

/** Up to four sweeps' summary curves on one chart, a colour per sweep and combination. */
export function compareSvg(views: readonly SweepView[]): string {
  const all = views.flatMap((v) => groups(v, `sweep ${v.id.slice(0, 8)}`));
  const scales = views.flatMap((v) => v.config.weightScales);
  return chart(
    all,
    scales,
    `Final accuracy against the initial weight scale, sweeps ${views.map((v) => v.id.slice(0, 8)).join(", ")}`,
  );
}
