/** How figures, the CLI and the dashboard name things: a weight scale, a grid combination; text safe for SVG. */

import type { GridValues } from "./config";

/** Title of a panel: the weight scale in the seed's style, `W: 0.0254`; a study without weight scales says its study. */
export function scaleTitle(scale: number | null, study = "experiment"): string {
  if (scale === null) return study;
  return `W: ${scale >= 0.001 ? Number(scale.toPrecision(3)) : scale.toExponential(2)}`;
}

/** A grid combination's title: `learningRate 0.05, optimizer adam`. */
export function combinationTitle(values: GridValues): string {
  return Object.entries(values)
    .map(([field, v]) => `${field} ${Array.isArray(v) ? v.join("-") : v}`)
    .join(", ");
}

/** Text made safe for SVG. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (ch) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[ch] ?? ch);
}
