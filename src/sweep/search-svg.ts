/**
 * §6.5's figure as SVG: the 20 best trials as panels (5 a row, sorted by final validation
 * accuracy as the book's script sorts them: validation solid, training dashed), beside a scatter
 * of learning rate against weight decay (log scales) coloured by final validation accuracy.
 */

import { curve } from "./plot-svg";
import { escapeXml } from "./titles";
import type { ExperimentView, SweepView } from "./view";

/** Panels drawn, as the script's graph_draw_num. */
export const BEST_TRIALS = 20;
const COLUMNS = 5;
const PANEL_W = 150;
const PANEL_H = 112;
const MARGIN = { left: 26, right: 6, top: 30, bottom: 8 };
const SCATTER = { size: 360, left: 56, top: 30, bottom: 40 };
const VALIDATION_COLOR = "#1f77b4";
const TRAIN_COLOR = "#ff7f0e";

/** A final accuracy (0–1) as a colour from dark purple to yellow (viridis' ends). */
function shade(accuracy: number): string {
  const t = Math.min(Math.max(accuracy, 0), 1);
  const mix = (a: number, b: number) => Math.round(a + (b - a) * t);
  return `rgb(${mix(0x44, 0xfd)},${mix(0x01, 0xe7)},${mix(0x54, 0x25)})`;
}

const last = (list: number[] | undefined): number => (list && list.length > 0 ? (list.at(-1) as number) : Number.NaN);

/** How far a trial went: to its rung if successive halving stopped it there, else all the way. */
const reach = (e: ExperimentView): number => (e.stopped ? e.epochsDone : Number.POSITIVE_INFINITY);

/**
 * Trials with a validation point, best final validation accuracy first (ties in trial order); with
 * successive halving, those that went further first (a stopped trial's last point is an earlier epoch).
 */
export function bestTrials(view: SweepView): ExperimentView[] {
  return view.experiments
    .filter((e) => (e.validation?.length ?? 0) > 0)
    .sort((a, b) => reach(b) - reach(a) || last(b.validation) - last(a.validation));
}

function drawPanel(e: ExperimentView, rank: number, epochs: number): string {
  const ox = (rank % COLUMNS) * PANEL_W;
  const oy = Math.floor(rank / COLUMNS) * PANEL_H;
  const w = PANEL_W - MARGIN.left - MARGIN.right;
  const h = PANEL_H - MARGIN.top - MARGIN.bottom;
  const x = (i: number) => ox + MARGIN.left + (epochs > 1 ? (i / (epochs - 1)) * w : 0);
  const y = (v: number) => oy + MARGIN.top + (1 - Math.min(Math.max(v, 0), 1)) * h;
  const left = ox + MARGIN.left;
  let out = `<g class="panel" data-experiment="${e.index}">`;
  out += `<text x="${left + w / 2}" y="${oy + 12}" text-anchor="middle" font-size="11">Best-${rank + 1} (val ${last(e.validation).toFixed(2)}${e.stopped ? `, stop ${e.epochsDone}` : ""})</text>`;
  const lr = e.learningRate === undefined ? "" : `lr ${e.learningRate.toExponential(1)}`;
  const wd = e.weightDecay === undefined ? "" : ` wd ${e.weightDecay.toExponential(1)}`;
  out += `<text x="${left + w / 2}" y="${oy + 24}" text-anchor="middle" font-size="9" fill="#666">${escapeXml(lr + wd)}</text>`;
  out += `<rect x="${left}" y="${oy + MARGIN.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`;
  if (rank % COLUMNS === 0) {
    for (const v of [0, 1]) out += `<text x="${left - 3}" y="${y(v) + 3}" text-anchor="end" font-size="8">${v}</text>`;
  }
  out += `<path class="curve" data-series="validation" d="${curve(e.validation ?? [], x, y)}" fill="none" stroke="${VALIDATION_COLOR}" stroke-width="1.3"/>`;
  out += `<path class="curve" data-series="train" d="${curve(e.train ?? [], x, y)}" fill="none" stroke="${TRAIN_COLOR}" stroke-width="1.3" stroke-dasharray="4 2"/>`;
  return `${out}</g>`;
}

/** The scatter's range of log10 of `field`: the space's ends for log10Uniform, else the values'. */
function logRange(view: SweepView, field: "learningRate" | "weightDecay", values: number[]): [number, number] {
  const range =
    view.config.search?.space[field] ?? (field === "learningRate" ? { log10Uniform: [-2, -6] } : { log10Uniform: [-4, -8] });
  if ("log10Uniform" in range) return [Math.min(...range.log10Uniform), Math.max(...range.log10Uniform)];
  const logs = values.map(Math.log10);
  return [Math.floor(Math.min(...logs)), Math.ceil(Math.max(...logs))];
}

function drawScatter(view: SweepView, left: number): string {
  const trials = view.experiments.filter((e) => e.learningRate && e.weightDecay && (e.validation?.length ?? 0) > 0);
  if (trials.length === 0) return "";
  const [x0, x1] = logRange(
    view,
    "learningRate",
    trials.map((e) => e.learningRate as number),
  );
  const [y0, y1] = logRange(
    view,
    "weightDecay",
    trials.map((e) => e.weightDecay as number),
  );
  const size = SCATTER.size;
  const ox = left + SCATTER.left;
  const oy = SCATTER.top;
  const x = (v: number) => ox + ((Math.log10(v) - x0) / (x1 - x0 || 1)) * size;
  const y = (v: number) => oy + (1 - (Math.log10(v) - y0) / (y1 - y0 || 1)) * size;
  let out = `<g class="scatter">`;
  out += `<text x="${ox + size / 2}" y="${oy - 10}" text-anchor="middle" font-size="12">learning rate against weight decay, coloured by final validation accuracy</text>`;
  out += `<rect x="${ox}" y="${oy}" width="${size}" height="${size}" fill="none" stroke="#999"/>`;
  for (let e = Math.ceil(x0); e <= x1; e++)
    out += `<text x="${ox + ((e - x0) / (x1 - x0 || 1)) * size}" y="${oy + size + 14}" text-anchor="middle" font-size="9">1e${e}</text>`;
  for (let e = Math.ceil(y0); e <= y1; e++)
    out += `<text x="${ox - 4}" y="${oy + (1 - (e - y0) / (y1 - y0 || 1)) * size + 3}" text-anchor="end" font-size="9">1e${e}</text>`;
  out += `<text x="${ox + size / 2}" y="${oy + size + 30}" text-anchor="middle" font-size="10" fill="#666">learning rate</text>`;
  out += `<text x="${ox - 44}" y="${oy + size / 2}" font-size="10" fill="#666" text-anchor="middle" transform="rotate(-90 ${ox - 44} ${oy + size / 2})">weight decay</text>`;
  for (const e of trials) {
    const acc = last(e.validation);
    out += `<circle class="trial" data-experiment="${e.index}" cx="${x(e.learningRate as number).toFixed(1)}" cy="${y(e.weightDecay as number).toFixed(1)}" r="4" fill="${shade(acc)}" stroke="#333" stroke-width="0.5"><title>lr ${e.learningRate}, weight decay ${e.weightDecay}: validation ${acc}</title></circle>`;
  }
  return `${out}</g>`;
}

/** The figure as an SVG document. */
export function searchSvg(view: SweepView): string {
  const best = bestTrials(view).slice(0, BEST_TRIALS);
  const panels = best.map((e, rank) => drawPanel(e, rank, view.config.epochs)).join("");
  const panelsW = COLUMNS * PANEL_W;
  const scatter = drawScatter(view, panelsW);
  const width = panelsW + (scatter ? SCATTER.left + SCATTER.size + 20 : 0);
  const top = Math.max(Math.ceil(best.length / COLUMNS) * PANEL_H, scatter ? SCATTER.top + SCATTER.size + SCATTER.bottom : 0);
  let legend = `<g class="legend">`;
  legend += `<line x1="16" x2="44" y1="${top + 16}" y2="${top + 16}" stroke="${VALIDATION_COLOR}" stroke-width="2"/><text x="50" y="${top + 20}" font-size="12">validation</text>`;
  legend += `<line x1="146" x2="174" y1="${top + 16}" y2="${top + 16}" stroke="${TRAIN_COLOR}" stroke-width="2" stroke-dasharray="4 2"/><text x="180" y="${top + 20}" font-size="12">train</text></g>`;
  const height = top + 34;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="sans-serif">
<title>${escapeXml(`Random search of hyperparameters (§6.5), ${best.length} best of ${view.experiments.length} trials, sweep ${view.id}`)}</title>
<rect width="100%" height="100%" fill="white"/>${panels}${scatter}${legend}</svg>
`;
}
