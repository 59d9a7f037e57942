/**
 * A sweep's accuracy lists as CSV: one row per experiment × network × split × epoch, with one
 * column per grid field (after `repeat`) when the sweep has a grid.
 */

import { GRID_FIELDS } from "./fields";
import type { SweepView } from "./view";

/** Header of the CSV of a sweep without a grid. */
export const CSV_HEADER = "experiment,weight_scale,seed,repeat,network,split,epoch,accuracy";

/** The CSV a line at a time (each ending in a newline), header first, so a large sweep can be streamed. */
export function* resultsCsvLines(view: SweepView): Generator<string> {
  const gridFields = GRID_FIELDS.filter((f) => view.config.grid?.[f] !== undefined);
  const gridHeader = gridFields.map((f) => `,${f}`).join("");
  yield `${CSV_HEADER.replace(",repeat,", `,repeat${gridHeader},`)}\n`;
  for (const e of view.experiments) {
    const grid = gridFields.map((f) => {
      const v = e.grid?.[f];
      return `,${Array.isArray(v) ? v.join("-") : v}`;
    });
    const head = `${e.index},${e.weightScale},${e.seed},${e.repeat}${grid.join("")}`;
    const series: [string, string, number[] | undefined][] = [
      ["batchnorm", "train", e.batchNorm],
      ["plain", "train", e.plain],
      ["batchnorm", "test", e.testBatchNorm],
      ["plain", "test", e.testPlain],
    ];
    for (const [network, split, values] of series) {
      if (!values) continue;
      for (let epoch = 0; epoch < values.length; epoch++) {
        yield `${head},${network},${split},${epoch},${values[epoch]}\n`;
      }
    }
  }
}
