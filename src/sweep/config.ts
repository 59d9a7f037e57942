/**
 * The sweep request validated against {@link SWEEP_FIELDS}: every field optional, defaults the
 * book's; each failure names the field and the rule. Also the sweep's list of experiments.
 */

import type { ExperimentConfig } from "../experiment/config";
import { STUDY_DEFAULTS, type Study, studyMeasure, studyPoints, trainingCount, validationCount } from "../experiment/study";
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
import type { Halving } from "./halving";
import { BOOK_SEARCH_SPACE, rangeEnds, type Search, type SearchField, type SearchRange } from "./search";

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
    case "search":
      return checkSearch(field, rule, v);
    case "halving":
      return checkHalving(field, rule, v);
  }
}

/** Checks a `halving` value on its own: rungs ascending positive integers, keep a fraction (rungs against epochs: checkCrossFieldRules). */
function checkHalving(field: string, rule: Extract<FieldRule, { kind: "halving" }>, v: unknown): unknown {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new SweepConfigError(field, ruleMessage(rule));
  const { rungs, keep, ...rest } = v as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) throw new SweepConfigError(`${field}.${extra}`, "is not part of halving; it takes rungs and keep");
  const checked = checkValue(
    `${field}.rungs`,
    { kind: "list", minLength: 1, maxLength: rule.maxRungs, item: { kind: "integer", min: 1, max: 10000 } },
    rungs,
  ) as number[];
  checked.forEach((r, i) => {
    if (i > 0 && r <= checked[i - 1])
      throw new SweepConfigError(`${field}.rungs[${i}]`, `must be above the rung before it (${checked[i - 1]})`);
  });
  if (typeof keep !== "number" || !Number.isFinite(keep) || keep <= 0 || keep >= 1)
    throw new SweepConfigError(`${field}.keep`, "must be a fraction above 0 and below 1 (the share of trials each rung keeps)");
  return { rungs: checked, keep };
}

/** Checks a `search` value: its trials, and each drawn field's range, whose ends must keep the field's own rule. */
function checkSearch(field: string, rule: Extract<FieldRule, { kind: "search" }>, v: unknown): unknown {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new SweepConfigError(field, ruleMessage(rule));
  const { trials, space, ...rest } = v as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) throw new SweepConfigError(`${field}.${extra}`, "is not part of a search; it takes trials and space");
  checkValue(`${field}.trials`, { kind: "integer", min: 1, max: rule.maxTrials }, trials);
  if (typeof space !== "object" || space === null || Array.isArray(space) || Object.keys(space).length === 0) {
    throw new SweepConfigError(
      `${field}.space`,
      "must be an object of 1 or more fields, each {log10Uniform: [a, b]}, {uniform: [a, b]} or {choice: [values]}",
    );
  }
  for (const [key, range] of Object.entries(space)) {
    const where = `${field}.space.${key}`;
    if (!(rule.fields as readonly string[]).includes(key)) {
      throw new SweepConfigError(where, `is not a field a search draws; those are ${rule.fields.join(", ")}`);
    }
    const kinds = typeof range === "object" && range !== null && !Array.isArray(range) ? Object.keys(range) : [];
    const kind = kinds[0];
    if (kinds.length !== 1 || !["log10Uniform", "uniform", "choice"].includes(kind)) {
      throw new SweepConfigError(where, "must be one of {log10Uniform: [a, b]}, {uniform: [a, b]}, {choice: [values]}");
    }
    const values = (range as Record<string, unknown>)[kind];
    if (kind === "choice") {
      if (!Array.isArray(values) || values.length < 1 || values.length > 16)
        throw new SweepConfigError(`${where}.choice`, "must be an array of 1 to 16 values");
    } else {
      const bound = kind === "log10Uniform" ? rule.log10Bound : Number.MAX_VALUE;
      if (
        !Array.isArray(values) ||
        values.length !== 2 ||
        values.some((e) => typeof e !== "number" || !Number.isFinite(e) || Math.abs(e) > bound)
      ) {
        throw new SweepConfigError(
          `${where}.${kind}`,
          `must be [a, b], two numbers${kind === "log10Uniform" ? ` within ±${bound}` : ""}`,
        );
      }
    }
    for (const end of rangeEnds(range as SearchRange)) {
      try {
        checkValue(key, SWEEP_FIELDS[key as SearchField].rule, end);
      } catch (e) {
        if (!(e instanceof SweepConfigError)) throw e;
        throw new SweepConfigError(where, `can draw ${end}, and ${key} ${e.rule}`);
      }
    }
  }
  return structuredClone({ trials, space });
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
  const search = effectiveSearch(config);
  const combinations = search?.trials ?? gridCombinationCount(config.grid);
  const experiments = experimentCount(config);
  if (experiments > MAX_EXPERIMENTS) {
    const grid = search ? ` × ${combinations} trials` : combinations > 1 ? ` × ${combinations} grid combinations` : "";
    const scales = config.study === "batchNorm" ? `${config.weightScales.length} weight scales` : "1 experiment";
    throw new SweepConfigError(
      config.repeats > 1
        ? "repeats"
        : search
          ? config.search
            ? "search.trials"
            : "trials"
          : combinations > 1
            ? "grid"
            : "weightScales",
      `make ${scales}${grid} × ${config.repeats} repeats = ${experiments} experiments; at most ${MAX_EXPERIMENTS}`,
    );
  }
  // batchSize ≤ trainSize in every combination: the first batch size (in combination order) over
  // the first train size it exceeds is the combination that breaks it.
  const batchSizes = config.grid.batchSize ?? [config.batchSize];
  const trainSizes = config.grid.trainSize ?? [config.trainSize];
  const training = (t: number) => trainingCount({ study: config.study, trainSize: t });
  const i = batchSizes.findIndex((b) => trainSizes.some((t) => b > training(t)));
  if (i >= 0) {
    const trainSize = trainSizes.find((t) => batchSizes[i] > training(t)) as number;
    const field = config.grid.batchSize ? `grid.batchSize[${i}]` : "batchSize";
    const images =
      training(trainSize) === trainSize ? `trainSize (${trainSize})` : `the ${training(trainSize)} images left to train on`;
    throw new SweepConfigError(field, `must be at most ${images}`);
  }
  if (config.halving) checkHalvingFor(config, config.halving, search);
  if (config.study === "randomSearch" && validationCount(config) < 1) {
    throw new SweepConfigError("trainSize", "must be at least 5 in the randomSearch study: a fifth of it is kept for validation");
  }
  // The book's loops evaluate at i % (images / batchSize) == 0 on a float: where the batch size does
  // not divide the images they evaluate at other steps (or never again), so the script's stream is
  // only followed where it does.
  if (config.seeding === "book" && studyMeasure(config.study) === "accuracy") {
    const j = batchSizes.findIndex((b) => trainSizes.some((t) => training(t) % b !== 0));
    if (j >= 0) {
      const trainSize = trainSizes.find((t) => training(t) % batchSizes[j] !== 0) as number;
      const field = config.grid.batchSize ? `grid.batchSize[${j}]` : "batchSize";
      throw new SweepConfigError(
        field,
        `must divide the ${training(trainSize)} training images when the book's script is followed (seeding "book" and every study but batchNorm): its loop evaluates at i % (${training(trainSize)} / batchSize) == 0`,
      );
    }
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
  if (raw.search !== undefined) checkSearchFor(raw, study, uses);
  else if (study === "randomSearch") checkBookSearchFor(raw);
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

/** Halving against the rest: it needs a search's trials to compare, and rungs before the run's end. */
function checkHalvingFor(config: SweepConfig, halving: Halving, search: Search | null): void {
  if (!search) throw new SweepConfigError("halving", "needs a search to halve: give search, or use the randomSearch study");
  if (config.study !== "randomSearch" && config.testSize === 0) {
    throw new SweepConfigError(
      "testSize",
      "must be above 0 with halving: trials are ranked by accuracy on images they do not train on (the randomSearch study keeps validation images instead)",
    );
  }
  const points = studyPoints(config);
  const i = halving.rungs.findIndex((r) => r >= points);
  if (i >= 0)
    throw new SweepConfigError(
      `halving.rungs[${i}]`,
      `must be below epochs (${points}): a rung is where trials are compared before the end`,
    );
}

/** A given search against the rest of the request: its fields the study's, none of them also given, no grid beside it. */
function checkSearchFor(raw: Record<string, unknown>, study: Study, uses: readonly FieldName[]): void {
  const space = Object.keys((raw.search as Search).space);
  const unused = space.find((f) => !(uses as readonly string[]).includes(f));
  if (unused !== undefined) throw new SweepConfigError(`search.space.${unused}`, `is not used by study ${study}`);
  const given = space.find((f) => raw[f] !== undefined);
  if (given !== undefined) throw new SweepConfigError(given, `is drawn by search.space.${given}; give one or the other`);
  if (raw.grid !== undefined && Object.keys(raw.grid as object).length > 0)
    throw new SweepConfigError("grid", "cannot be given with search: its trials are the combinations");
  if (raw.trials !== undefined)
    throw new SweepConfigError("trials", "is search.trials when a search is given; give one or the other");
}

/** The randomSearch study without a search of its own draws the book's space: no grid, and none of its fields given. */
function checkBookSearchFor(raw: Record<string, unknown>): void {
  const given = Object.keys(BOOK_SEARCH_SPACE).find((f) => raw[f] !== undefined);
  if (given !== undefined) {
    throw new SweepConfigError(
      given,
      "is drawn by the randomSearch study (the book's space); give a search to draw other fields",
    );
  }
  if (raw.grid !== undefined) throw new SweepConfigError("grid", "cannot be given with search: its trials are the combinations");
}

/** The search a sweep runs: its own, or the randomSearch study's (the book's space, `trials` of them); null without. */
export function effectiveSearch(config: Pick<SweepConfig, "study" | "search" | "trials">): Search | null {
  if (config.search) return config.search;
  return config.study === "randomSearch" ? { trials: config.trials, space: BOOK_SEARCH_SPACE } : null;
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
  /** Index into {@link gridCombinations}, 0 without a grid; with a search, repeat × trials + its trial. */
  combination: number;
  config: ExperimentConfig;
}

/**
 * The sweep's experiments: for each repeat, each grid combination, each weight scale (the scale
 * varying fastest). Seeds follow the repeat, so an experiment's lists equal the same experiment
 * run alone with its combination's values.
 */
export function sweepExperiments(sweep: SweepConfig): SweepExperiment[] {
  const {
    weightScales: _scales,
    repeats,
    seed,
    grid,
    seeding: _,
    search: _search,
    trials: _trials,
    halving: _halving,
    ...rest
  } = sweep;
  const weightScales = experimentScales(sweep);
  // A search's trials are its combinations: their values are drawn when the sweep is planned (plan.ts).
  const search = effectiveSearch(sweep);
  const combinations: GridValues[] = search ? Array.from({ length: search.trials }, () => ({})) : gridCombinations(grid);
  // A search's combination is its repeat's trial, repeat by repeat: each repeat draws trials of its own.
  const combinationOf = (repeat: number, combination: number) => (search ? repeat * search.trials + combination : combination);
  const out: SweepExperiment[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) {
    combinations.forEach((values, combination) => {
      weightScales.forEach((weightScale, scale) => {
        out.push({
          index: out.length,
          scale,
          repeat,
          combination: combinationOf(repeat, combination),
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
export function experimentCount(
  sweep: Pick<SweepConfig, "study" | "weightScales" | "grid" | "repeats" | "search" | "trials">,
): number {
  const combinations = effectiveSearch(sweep)?.trials ?? gridCombinationCount(sweep.grid);
  return experimentScales(sweep).length * combinations * sweep.repeats;
}

/** A config as stored: one stored before the study fields were is a Batch Norm study without a search. */
export function storedSweepConfig(json: string): SweepConfig {
  const stored = JSON.parse(json) as Partial<SweepConfig>;
  const { iterations, trials } = SWEEP_FIELDS;
  return {
    study: "batchNorm",
    iterations: iterations.default,
    trials: trials.default,
    search: null,
    halving: null,
    ...stored,
  } as SweepConfig;
}
