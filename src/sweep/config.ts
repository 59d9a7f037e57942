/**
 * The sweep request validated against {@link SWEEP_FIELDS}: every field optional, defaults the
 * book's; each failure names the field and the rule. Also the sweep's list of experiments.
 */

import type { ExperimentConfig } from "../experiment/config";
import { STUDY_DEFAULTS, type Study } from "../experiment/study";
import {
  FIELD_NAMES,
  type FieldName,
  type FieldRule,
  type FieldValue,
  GRID_FIELDS,
  type GridField,
  MAX_EXPERIMENTS,
  ruleMessage,
  STUDY_FIELDS,
  SWEEP_FIELDS,
} from "./fields";

/** A validated sweep configuration, every field filled: its types are the schema's (fields.ts). */
export type SweepConfig = { [F in Exclude<FieldName, "grid">]: FieldValue<F> } & { grid: Grid };

/** A grid: fields of the request, each with the values to sweep. */
export type Grid = { [F in GridField]?: FieldValue<F>[] };

/** One combination of a grid's values (empty without a grid). */
export type GridValues = { [F in GridField]?: FieldValue<F> };

/** What a client may send: any subset of the fields. */
export type SweepRequest = Partial<SweepConfig>;

/** A request field that breaks a rule. */
export class SweepConfigError extends Error {
  override name = "SweepConfigError";
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(`${field} ${rule}`);
  }
}

/** Checks one value against a rule; `field` names it in the error (`hiddenSizes[2]`). */
export function checkValue(field: string, rule: FieldRule, v: unknown): unknown {
  const fail = (): never => {
    throw new SweepConfigError(field, ruleMessage(rule));
  };
  switch (rule.kind) {
    case "integer":
      if (typeof v !== "number" || !Number.isInteger(v) || v < rule.min || v > rule.max) fail();
      return v;
    case "number": {
      const tooLow = rule.minExclusive ? (v as number) <= rule.min : (v as number) < rule.min;
      if (typeof v !== "number" || !Number.isFinite(v) || tooLow || (rule.max !== undefined && v > rule.max)) fail();
      return v;
    }
    case "choice":
      if (typeof v !== "string" || !rule.choices.includes(v)) fail();
      return v;
    case "list":
      if (!Array.isArray(v) || v.length < rule.minLength || v.length > rule.maxLength) fail();
      return (v as unknown[]).map((x, i) => checkValue(`${field}[${i}]`, rule.item, x));
    case "grid": {
      if (typeof v !== "object" || v === null || Array.isArray(v)) fail();
      const out: Record<string, unknown> = {};
      // Fields in the schema's order, so that combinations do not depend on the request's key order.
      for (const key of Object.keys(v as object)) if (!(rule.fields as readonly string[]).includes(key)) fail();
      for (const key of rule.fields) {
        const values = (v as Record<string, unknown>)[key];
        if (values === undefined) continue;
        if (!Array.isArray(values) || values.length < 1 || values.length > rule.maxValues) {
          throw new SweepConfigError(`${field}.${key}`, `must be an array of 1 to ${rule.maxValues} values`);
        }
        out[key] = values.map((x, i) => checkValue(`${field}.${key}[${i}]`, SWEEP_FIELDS[key].rule, x));
      }
      return out;
    }
  }
}

/** Every combination of the grid's values, the last field varying fastest; one empty combination without a grid. */
export function gridCombinations(grid: Grid): GridValues[] {
  let combinations: GridValues[] = [{}];
  for (const field of GRID_FIELDS) {
    const values = grid[field];
    if (!values) continue;
    combinations = combinations.flatMap((c) => values.map((v) => ({ ...c, [field]: v })));
  }
  return combinations;
}

/** Combination `k` of {@link gridCombinations}, without building the others (mixed radix, the last field fastest). */
export function gridCombinationAt(grid: Grid, k: number): GridValues {
  const values: Record<string, unknown> = {};
  let rest = k;
  for (const field of [...GRID_FIELDS].reverse()) {
    const options = grid[field];
    if (!options) continue;
    values[field] = options[rest % options.length];
    rest = Math.floor(rest / options.length);
  }
  // In the schema's order, as gridCombinations gives them.
  return Object.fromEntries(GRID_FIELDS.filter((f) => f in values).map((f) => [f, values[f]])) as GridValues;
}

/** How many combinations a grid makes: the product of its value counts, counted without building them. */
export function gridCombinationCount(grid: Grid): number {
  let count = 1;
  for (const field of GRID_FIELDS) count *= grid[field]?.length ?? 1;
  return count;
}

/**
 * Rules that tie two fields together, checked after each field's own rule, for every grid
 * combination. Nothing is expanded: a grid of 8 fields × 16 values names 16⁸ combinations, and
 * building them would take the isolate down before the count refused them.
 */
function checkCrossFieldRules(config: SweepConfig): void {
  const combinations = gridCombinationCount(config.grid);
  const experiments = experimentCount(config);
  if (experiments > MAX_EXPERIMENTS) {
    const grid = combinations > 1 ? ` × ${combinations} grid combinations` : "";
    const scales = config.study === "batchNorm" ? `${config.weightScales.length} weight scales` : "1 experiment";
    throw new SweepConfigError(
      config.repeats > 1 ? "repeats" : combinations > 1 ? "grid" : "weightScales",
      `make ${scales}${grid} × ${config.repeats} repeats = ${experiments} experiments; at most ${MAX_EXPERIMENTS}`,
    );
  }
  // batchSize ≤ trainSize in every combination: the first batch size (in combination order) over
  // the first train size it exceeds is the combination that breaks it.
  const batchSizes = config.grid.batchSize ?? [config.batchSize];
  const trainSizes = config.grid.trainSize ?? [config.trainSize];
  const i = batchSizes.findIndex((b) => trainSizes.some((t) => b > t));
  if (i >= 0) {
    const trainSize = trainSizes.find((t) => batchSizes[i] > t);
    const field = config.grid.batchSize ? `grid.batchSize[${i}]` : "batchSize";
    throw new SweepConfigError(field, `must be at most trainSize (${trainSize})`);
  }
}

/**
 * Validates a request body and fills the defaults. `pickSeed` supplies the seed when none is
 * given (it is recorded in the result).
 */
export function parseSweepConfig(body: unknown, pickSeed: () => number): SweepConfig {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new SweepConfigError("body", "must be a JSON object");
  }
  const raw = body as Record<string, unknown>;
  const unknown = Object.keys(raw).find((k) => !(FIELD_NAMES as string[]).includes(k));
  if (unknown !== undefined) throw new SweepConfigError(unknown, `is not a field; known fields are ${FIELD_NAMES.join(", ")}`);
  const study = (
    raw.study === undefined ? SWEEP_FIELDS.study.default : checkValue("study", SWEEP_FIELDS.study.rule, raw.study)
  ) as Study;
  const uses = STUDY_FIELDS[study];
  const unused = Object.keys(raw).find((k) => !(uses as string[]).includes(k));
  if (unused !== undefined) throw new SweepConfigError(unused, `is not used by study ${study}; it uses ${uses.join(", ")}`);
  const studyDefaults: Record<string, unknown> = STUDY_DEFAULTS[study];
  const config: Record<string, unknown> = {};
  for (const name of FIELD_NAMES) {
    const spec = SWEEP_FIELDS[name];
    const given = raw[name];
    config[name] =
      given === undefined ? structuredClone(studyDefaults[name] ?? spec.default) : checkValue(name, spec.rule, given);
  }
  const gridField = Object.keys(config.grid as object).find((k) => !(uses as string[]).includes(k));
  if (gridField !== undefined) throw new SweepConfigError(`grid.${gridField}`, `is not used by study ${study}`);
  if (study !== "batchNorm") {
    // Its networks' initialisation is the study's, and its script is seeded once at its top.
    config.weightScales = [];
    config.seeding = "book";
  }
  config.seed ??= pickSeed();
  // Every field was checked by its rule above, which is what the schema's types say.
  const checked = config as SweepConfig;
  checkCrossFieldRules(checked);
  return checked;
}

/** The field a {@link SweepConfigError} names, without its index (`hiddenSizes[2]` → hiddenSizes). */
export function fieldOf(error: SweepConfigError): FieldName | undefined {
  const name = error.field.replace(/\[\d+\]$/, "");
  return (FIELD_NAMES as string[]).includes(name) ? (name as FieldName) : undefined;
}

/** One experiment of a sweep: which scale, grid combination and repeat, and its full configuration. */
export interface SweepExperiment {
  index: number;
  /** Position of its weight scale in the request's list. */
  scale: number;
  repeat: number;
  /** Index into {@link gridCombinations}; 0 without a grid. */
  combination: number;
  config: ExperimentConfig;
}

/**
 * The sweep's experiments: for each repeat, each grid combination, each weight scale (the scale
 * varying fastest). Seeds follow the repeat, so an experiment's lists equal the same experiment
 * run alone with its combination's values.
 */
export function sweepExperiments(sweep: SweepConfig): SweepExperiment[] {
  const { weightScales: _scales, repeats, seed, grid, seeding: _, ...rest } = sweep;
  const weightScales = experimentScales(sweep);
  const combinations = gridCombinations(grid);
  const out: SweepExperiment[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) {
    combinations.forEach((values, combination) => {
      weightScales.forEach((weightScale, scale) => {
        out.push({
          index: out.length,
          scale,
          repeat,
          combination,
          config: { ...rest, ...values, weightScale, seed: (seed + repeat) >>> 0 },
        });
      });
    });
  }
  return out;
}

/** The weight scales a sweep runs one experiment each of: a study other than batchNorm runs one, its networks initialised its own way. */
function experimentScales(sweep: Pick<SweepConfig, "study" | "weightScales">): ExperimentConfig["weightScale"][] {
  return sweep.study === "batchNorm" ? sweep.weightScales : ["he"];
}

/** How many experiments a sweep makes, counted without building them. */
export function experimentCount(sweep: Pick<SweepConfig, "study" | "weightScales" | "grid" | "repeats">): number {
  return experimentScales(sweep).length * gridCombinationCount(sweep.grid) * sweep.repeats;
}

/** A config as stored: one stored before the study and iterations fields were is a Batch Norm study. */
export function storedSweepConfig(json: string): SweepConfig {
  const stored = JSON.parse(json) as Partial<SweepConfig>;
  return { study: "batchNorm", iterations: SWEEP_FIELDS.iterations.default, ...stored } as SweepConfig;
}
