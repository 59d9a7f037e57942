/**
 * The study's figure as SVG: one panel per weight scale (4 a row), accuracy 0–1 against epochs,
 * Batch Norm solid and the plain network dashed, a min–max band when repeats > 1, and a legend;
 * with a grid, one such block per combination, titled with its values.
 */

import { type Band, type Panel, panels } from "./series";
import { combinationTitle, escapeXml, scaleTitle } from "./titles";
import { type SweepView, sweepCombinations } from "./view";

/** Options of {@link plotSvg}. */
export interface PlotOptions {
  /** Draw test-accuracy curves too (dotted) when the sweep measured them. */
  showTest?: boolean;
  /** Draw only this grid combination's block (default: every combination, one block each). */
  combination?: number;
}

const COLUMNS = 4;
const PANEL_W = 220;
const PANEL_H = 160;
const MARGIN = { left: 36, right: 10, top: 24, bottom: 26 };
const LEGEND_H = 34;
const BLOCK_TITLE_H = 30;
const BN_COLOR = "#1f77b4";
const PLAIN_COLOR = "#d62728";

/** An SVG path through `values`, non-finite values drawn at 0. */
export function curve(values: readonly number[], x: (i: number) => number, y: (v: number) => number): string {
  return values.map((v, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${y(Number.isFinite(v) ? v : 0).toFixed(1)}`).join("");
}

function drawBand(
  b: Band,
  color: string,
  dash: string,
  x: (i: number) => number,
  y: (v: number) => number,
  repeats: number,
): string {
  let out = "";
  if (repeats > 1 && b.mean.length > 0) {
    const upper = b.max.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`);
    const lower = b.min.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).reverse();
    out += `<polygon class="band" points="${[...upper, ...lower].join(" ")}" fill="${color}" fill-opacity="0.15" stroke="none"/>`;
  }
  if (b.mean.length > 0) {
    out += `<path class="curve" d="${curve(b.mean, x, y)}" fill="none" stroke="${color}" stroke-width="1.6"${dash ? ` stroke-dasharray="${dash}"` : ""}/>`;
  }
  return out;
}

function drawPanel(panel: Panel, col: number, top: number, epochs: number, showTest: boolean): string {
  const ox = col * PANEL_W;
  const oy = top;
  const w = PANEL_W - MARGIN.left - MARGIN.right;
  const h = PANEL_H - MARGIN.top - MARGIN.bottom;
  const x = (i: number) => ox + MARGIN.left + (epochs > 1 ? (i / (epochs - 1)) * w : 0);
  const y = (v: number) => oy + MARGIN.top + (1 - Math.min(Math.max(v, 0), 1)) * h;
  const left = ox + MARGIN.left;
  const bottom = oy + MARGIN.top + h;
  let out = `<g class="panel" data-weight-scale="${panel.weightScale}">`;
  out += `<text x="${left + w / 2}" y="${oy + 16}" text-anchor="middle" font-size="12">${escapeXml(scaleTitle(panel.weightScale))}</text>`;
  out += `<rect x="${left}" y="${oy + MARGIN.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`;
  for (const v of [0, 0.5, 1]) {
    out += `<text x="${left - 4}" y="${y(v) + 4}" text-anchor="end" font-size="9">${v}</text>`;
    if (v === 0.5) out += `<line x1="${left}" x2="${left + w}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`;
  }
  out += `<text x="${left}" y="${bottom + 12}" font-size="9">0</text>`;
  out += `<text x="${left + w}" y="${bottom + 12}" text-anchor="end" font-size="9">${Math.max(epochs - 1, 0)}</text>`;
  out += `<text x="${left + w / 2}" y="${bottom + 22}" text-anchor="middle" font-size="9" fill="#666">epochs</text>`;
  out += drawBand(panel.batchNorm, BN_COLOR, "", x, y, panel.repeats);
  out += drawBand(panel.plain, PLAIN_COLOR, "5 3", x, y, panel.repeats);
  if (showTest && panel.testBatchNorm && panel.testPlain) {
    out += drawBand(panel.testBatchNorm, BN_COLOR, "1 2", x, y, panel.repeats);
    out += drawBand(panel.testPlain, PLAIN_COLOR, "1 2", x, y, panel.repeats);
  }
  return `${out}</g>`;
}

function legend(top: number, width: number, showTest: boolean, repeats: number): string {
  const items: [string, string, string][] = [
    ["Batch Normalization", BN_COLOR, ""],
    ["Normal (without BatchNorm)", PLAIN_COLOR, "5 3"],
  ];
  if (showTest) items.push(["test accuracy", "#555", "1 2"]);
  let out = `<g class="legend">`;
  items.forEach(([label, color, dash], i) => {
    const lx = 16 + i * 230;
    out += `<line x1="${lx}" x2="${lx + 28}" y1="${top + 16}" y2="${top + 16}" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ""}/>`;
    out += `<text x="${lx + 34}" y="${top + 20}" font-size="12">${label}</text>`;
  });
  if (repeats > 1)
    out += `<text x="${width - 10}" y="${top + 20}" text-anchor="end" font-size="11" fill="#666">mean of ${repeats} seeds, band min–max</text>`;
  return `${out}</g>`;
}

/** The whole figure as an SVG document: a block of panels per grid combination, titled with its values. */
export function plotSvg(view: SweepView, { showTest = false, combination }: PlotOptions = {}): string {
  const combinations = sweepCombinations(view);
  const shown = combination === undefined ? combinations.map((_, c) => c) : [combination];
  const titled = combinations.length > 1;
  const width = COLUMNS * PANEL_W;
  const test = showTest && view.config.testSize > 0;
  let top = 0;
  let body = "";
  let repeats = 1;
  for (const c of shown) {
    const all = panels(view, c);
    repeats = Math.max(repeats, ...all.map((p) => p.repeats));
    body += `<g class="block" data-combination="${c}">`;
    if (titled) {
      body += `<text class="block-title" x="10" y="${top + 20}" font-size="14" font-weight="bold">${escapeXml(combinationTitle(combinations[c] ?? {}))}</text>`;
      top += BLOCK_TITLE_H;
    }
    body += all
      .map((p, i) => drawPanel(p, i % COLUMNS, top + Math.floor(i / COLUMNS) * PANEL_H, view.config.epochs, test))
      .join("");
    body += "</g>";
    top += Math.ceil(all.length / COLUMNS) * PANEL_H;
  }
  const height = top + LEGEND_H;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="sans-serif">
<title>Training accuracy with and without Batch Norm, sweep ${escapeXml(view.id)}</title>
<rect width="100%" height="100%" fill="white"/>${body}${legend(top, width, test, repeats)}</svg>
`;
}
