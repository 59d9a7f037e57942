/**
 * The figures of chapter 6's other studies as SVG, one panel per experiment (two a row), as the
 * book draws them: §6.1 and §6.2 the loss of each network per iteration smoothed by
 * `smooth_curve` (y up to 1 and 2.5 as the book's), §6.4 train (solid) and test (dashed)
 * accuracy per epoch; §6.5's is search-svg.ts.
 */

import { studyMeasure } from "../experiment/study";
import { curve } from "./plot-svg";
import { searchSvg } from "./search-svg";
import { smoothCurve } from "./smooth-curve";
import { combinationTitle, escapeXml } from "./titles";
import type { ExperimentView, SweepView } from "./view";

const COLUMNS = 2;
const PANEL_W = 440;
const PANEL_H = 280;
const MARGIN = { left: 40, right: 12, top: 26, bottom: 30 };
const LEGEND_H = 34;
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"];

/** What the book's figure names each network, and its y-axis top. */
const LOSS_FIGURES: Record<string, { names: Record<string, string>; top: number; title: string }> = {
  optimizers: {
    names: { sgd: "SGD", momentum: "Momentum", adagrad: "AdaGrad", adam: "Adam" },
    top: 1,
    title: "Optimizers on MNIST (§6.1)",
  },
  weightInit: {
    names: { "std0.01": "std=0.01", xavier: "Xavier", he: "He" },
    top: 2.5,
    title: "Weight initialisation on MNIST (§6.2)",
  },
};

interface Series {
  label: string;
  values: number[];
  color: string;
  dash: string;
}

/** The curves of one experiment, as the study draws them. */
function seriesOf(view: SweepView, e: ExperimentView): Series[] {
  const figure = LOSS_FIGURES[view.config.study];
  if (figure) {
    return Object.entries(e.loss ?? {}).map(([name, values], i) => ({
      label: figure.names[name] ?? name,
      values: smoothCurve(values),
      color: COLORS[i % COLORS.length],
      dash: "",
    }));
  }
  const out: Series[] = [{ label: "train", values: e.train ?? [], color: COLORS[0], dash: "" }];
  if (e.test) out.push({ label: "test", values: e.test, color: COLORS[1], dash: "5 3" });
  return out;
}

function panelTitle(e: ExperimentView): string {
  const grid = e.grid && Object.keys(e.grid).length > 0 ? ` [${combinationTitle(e.grid)}]` : "";
  return `experiment ${e.index}${grid}, seed ${e.seed}`;
}

function drawPanel(view: SweepView, e: ExperimentView, col: number, top: number, points: number, yTop: number): string {
  const ox = col * PANEL_W;
  const w = PANEL_W - MARGIN.left - MARGIN.right;
  const h = PANEL_H - MARGIN.top - MARGIN.bottom;
  const x = (i: number) => ox + MARGIN.left + (points > 1 ? (i / (points - 1)) * w : 0);
  const y = (v: number) => top + MARGIN.top + (1 - Math.min(Math.max(v / yTop, 0), 1)) * h;
  const left = ox + MARGIN.left;
  const bottom = top + MARGIN.top + h;
  const loss = studyMeasure(view.config.study) === "loss";
  let out = `<g class="panel" data-experiment="${e.index}">`;
  out += `<text x="${left + w / 2}" y="${top + 17}" text-anchor="middle" font-size="12">${escapeXml(panelTitle(e))}</text>`;
  out += `<rect x="${left}" y="${top + MARGIN.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`;
  for (const v of [0, yTop / 2, yTop]) {
    out += `<text x="${left - 4}" y="${y(v) + 4}" text-anchor="end" font-size="9">${v}</text>`;
  }
  out += `<text x="${left}" y="${bottom + 12}" font-size="9">0</text>`;
  out += `<text x="${left + w}" y="${bottom + 12}" text-anchor="end" font-size="9">${Math.max(points - 1, 0)}</text>`;
  out += `<text x="${left + w / 2}" y="${bottom + 24}" text-anchor="middle" font-size="10" fill="#666">${loss ? "iterations" : "epochs"}</text>`;
  out += `<text x="${ox + 10}" y="${top + MARGIN.top + h / 2}" font-size="10" fill="#666" transform="rotate(-90 ${ox + 10} ${top + MARGIN.top + h / 2})" text-anchor="middle">${loss ? "loss" : "accuracy"}</text>`;
  for (const s of seriesOf(view, e)) {
    if (s.values.length === 0) continue;
    out += `<path class="curve" data-series="${escapeXml(s.label)}" d="${curve(s.values, x, y)}" fill="none" stroke="${s.color}" stroke-width="1.4"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`;
  }
  return `${out}</g>`;
}

function legend(items: Series[], top: number): string {
  let out = `<g class="legend">`;
  items.forEach(({ label, color, dash }, i) => {
    const lx = 16 + i * 150;
    out += `<line x1="${lx}" x2="${lx + 28}" y1="${top + 16}" y2="${top + 16}" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ""}/>`;
    out += `<text x="${lx + 34}" y="${top + 20}" font-size="12">${escapeXml(label)}</text>`;
  });
  return `${out}</g>`;
}

/** The study's figure as an SVG document: one panel per experiment. */
export function studySvg(view: SweepView): string {
  if (view.config.study === "randomSearch") return searchSvg(view);
  const loss = LOSS_FIGURES[view.config.study];
  const points = loss ? view.config.iterations : view.config.epochs;
  const yTop = loss ? loss.top : 1;
  const width = COLUMNS * PANEL_W;
  const panels = view.experiments.map((e, i) => drawPanel(view, e, i % COLUMNS, Math.floor(i / COLUMNS) * PANEL_H, points, yTop));
  const top = Math.ceil(view.experiments.length / COLUMNS) * PANEL_H;
  const first = view.experiments[0];
  const items = first ? seriesOf(view, first) : [];
  const title = loss ? loss.title : `Overfitting and ${view.config.study === "dropout" ? "Dropout" : "weight decay"} (§6.4)`;
  const height = top + LEGEND_H;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="sans-serif">
<title>${escapeXml(`${title}, sweep ${view.id}`)}</title>
<rect width="100%" height="100%" fill="white"/>${panels.join("")}${legend(items, top)}</svg>
`;
}
