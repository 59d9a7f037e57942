/**
 * A sweep's lists as CSV, one row per point: per experiment × network × split × epoch in the Batch
 * Norm study, per split × epoch in §6.4's and §6.5's, per network × iteration in §6.1's and §6.2's;
 * with one column per grid field (after `repeat`) when the sweep has a grid, per drawn field when
 * it searches.
 */

import { type Study, studyMeasure } from "../experiment/study";
import { effectiveSearch } from "./config";
import { GRID_FIELDS, type GridField } from "./fields";
import type { ExperimentView, SweepView } from "./view";

/** Header of the CSV of a sweep without a grid. */
export const CSV_HEADER = "experiment,weight_scale,seed,repeat,network,split,epoch,accuracy";

/** Header of the CSV of another study without a grid: §6.4's accuracies, or §6.1's and §6.2's losses. */
const STUDY_CSV_HEADERS = {
  accuracy: "experiment,seed,repeat,split,epoch,accuracy",
  loss: "experiment,seed,repeat,network,iteration,loss",
} as const;

/** The CSV a line at a time (each ending in a newline), header first, so a large sweep can be streamed. */
export function* resultsCsvLines(view: SweepView): Generator<string> {
  // A search's drawn fields take the grid's columns (a trial is its combination).
  const search = effectiveSearch(view.config);
  const gridFields = search
    ? (Object.keys(search.space) as GridField[])
    : GRID_FIELDS.filter((f) => view.config.grid?.[f] !== undefined);
  const gridHeader = gridFields.map((f) => `,${f}`).join("");
  const study = view.config.study ?? "batchNorm";
  const header = study === "batchNorm" ? CSV_HEADER : STUDY_CSV_HEADERS[studyMeasure(study)];
  yield `${header.replace(",repeat,", `,repeat${gridHeader},`)}\n`;
  for (const e of view.experiments) {
    const grid = gridFields.map((f) => {
      const v = e.grid?.[f];
      return `,${Array.isArray(v) ? v.join("-") : v}`;
    });
    const head =
      study === "batchNorm"
        ? `${e.index},${e.weightScale},${e.seed},${e.repeat}${grid.join("")}`
        : `${e.index},${e.seed},${e.repeat}${grid.join("")}`;
    for (const [names, values] of experimentSeries(study, e)) {
      for (let point = 0; point < values.length; point++) yield `${head},${names},${point},${values[point]}\n`;
    }
  }
}

/** An experiment's lists with the columns that name them (network and split, split, or network). */
function experimentSeries(study: Study, e: ExperimentView): [string, number[]][] {
  const series: [string, number[] | undefined][] =
    study === "batchNorm"
      ? [
          ["batchnorm,train", e.batchNorm],
          ["plain,train", e.plain],
          ["batchnorm,test", e.testBatchNorm],
          ["plain,test", e.testPlain],
        ]
      : studyMeasure(study) === "accuracy"
        ? [
            ["train", e.train],
            ["test", e.test],
            ["validation", e.validation],
          ]
        : Object.entries(e.loss ?? {});
  return series.filter((s): s is [string, number[]] => s[1] !== undefined);
}
