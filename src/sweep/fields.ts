/**
 * Every field of a sweep request, declared once: name, rule, default, CLI flag, form label and
 * help. The API's validation, `bn-sweep run` and `npm run experiment` flags, the dashboard form
 * and the README's field table are all derived from this list.
 */

import { BOOK_WEIGHT_SCALES, EXPERIMENT_DEFAULTS } from "../experiment/config";
import { STUDIES, type Study } from "../experiment/study";
import { ACTIVATIONS, type Activation } from "../nn/multi-layer-net";
import { OPTIMIZER_KINDS, type OptimizerKind } from "../nn/optimizers/optimizer";
import { type Halving, MAX_RUNGS } from "./halving";
import { LOG10_BOUND, MAX_TRIALS, SEARCH_FIELDS, type Search, type SearchField } from "./search";

/** Experiments one sweep may hold (weight scales × grid combinations × repeats). */
export const MAX_EXPERIMENTS = 256;

/**
 * How a sweep's experiments are seeded: each with the sweep's seed (per repeat), or as the book's
 * script seeded once at its top, each experiment going on from where the one before left the stream.
 */
export const SEEDINGS = ["experiment", "book"] as const;
/** One of {@link SEEDINGS}. */
export type Seeding = (typeof SEEDINGS)[number];

/** What values a field takes. */
export type FieldRule =
  | { kind: "integer"; min: number; max: number }
  | { kind: "number"; min: number; max?: number; minExclusive?: boolean }
  | { kind: "choice"; choices: readonly string[] }
  | { kind: "list"; minLength: number; maxLength: number; item: FieldRule }
  | { kind: "grid"; fields: readonly GridField[]; maxValues: number }
  | { kind: "search"; fields: readonly SearchField[]; maxTrials: number; log10Bound: number }
  | { kind: "halving"; maxRungs: number };

/** Fields a sweep may vary beyond the weight scale: each with a list of values, every combination run. */
export const GRID_FIELDS = [
  "learningRate",
  "batchSize",
  "optimizer",
  "activation",
  "weightDecay",
  "dropout",
  "hiddenSizes",
  "trainSize",
] as const;

/** A field a grid may vary. */
export type GridField = (typeof GRID_FIELDS)[number];

/** One request field. */
export interface FieldSpec<T = unknown> {
  rule: FieldRule;
  /** The value used when the request leaves the field out; undefined: drawn (the seed). */
  default: T | undefined;
  /** How the README shows the default. */
  defaultText: string;
  /** `bn-sweep run` and `npm run experiment` flag, without the dashes. */
  flag: string;
  /** The dashboard form's label. */
  label: string;
  /** One line of help for the CLI usage and the README. */
  help: string;
}

const integer = (min: number, max: number): FieldRule => ({ kind: "integer", min, max });
const number = (min: number, max?: number, minExclusive = false): FieldRule => ({ kind: "number", min, max, minExclusive });
const choice = (choices: readonly string[]): FieldRule => ({ kind: "choice", choices });
const list = (minLength: number, maxLength: number, item: FieldRule): FieldRule => ({ kind: "list", minLength, maxLength, item });

const d = EXPERIMENT_DEFAULTS;

/** A field whose values are of type T: the request's types are derived from these. */
const field = <T>(spec: FieldSpec<T>): FieldSpec<T> => spec;

/** The fields, in the order the API documents them. */
export const SWEEP_FIELDS = {
  study: field<Study>({
    rule: choice(STUDIES),
    default: d.study,
    defaultText: `\`${d.study}\``,
    flag: "study",
    label: "study",
    help: "chapter 6's study: batchNorm (§6.3), optimizers (§6.1), weightInit (§6.2), weightDecay or dropout (§6.4), randomSearch (§6.5); each with its script's settings as defaults",
  }),
  weightScales: field<number[]>({
    rule: list(1, MAX_EXPERIMENTS, number(0, undefined, true)),
    default: [...BOOK_WEIGHT_SCALES],
    defaultText: "`logspace(0, -4, 16)`",
    flag: "scales",
    label: "weight scales",
    help: "initial weight scales, one experiment each (and per repeat)",
  }),
  epochs: field<number>({
    rule: integer(1, 1000),
    default: d.epochs,
    defaultText: String(d.epochs),
    flag: "epochs",
    label: "epochs",
    help: "evaluations of both networks, one per epoch; the first after one step",
  }),
  iterations: field<number>({
    // Four networks' losses of 10,000 points each stay well inside one stored row (2 MB).
    rule: integer(1, 10000),
    default: d.iterations,
    defaultText: String(d.iterations),
    flag: "iterations",
    label: "iterations",
    help: "steps of the optimizers and weightInit studies, one loss per network each",
  }),
  seed: field<number>({
    rule: integer(0, 0xffffffff),
    default: undefined,
    defaultText: "drawn and recorded",
    flag: "seed",
    label: "seed (empty: random)",
    help: "numpy RandomState seed of the first repeat",
  }),
  seeding: field<Seeding>({
    rule: choice(SEEDINGS),
    default: "experiment",
    defaultText: "`experiment`",
    flag: "seeding",
    label: "seeding",
    help: "experiment: each seeded on its own; book: the book's script seeded once at its top, its experiments in order (run in parallel)",
  }),
  repeats: field<number>({
    rule: integer(1, MAX_EXPERIMENTS),
    default: 1,
    defaultText: "1",
    flag: "repeats",
    label: "repeats",
    help: `seeds seed … seed + repeats − 1; at most ${MAX_EXPERIMENTS} experiments in all`,
  }),
  trainSize: field<number>({
    rule: integer(1, 60000),
    default: d.trainSize,
    defaultText: String(d.trainSize),
    flag: "train-size",
    label: "train size",
    help: "the first images of MNIST's training set",
  }),
  testSize: field<number>({
    rule: integer(0, 10000),
    default: d.testSize,
    defaultText: String(d.testSize),
    flag: "test-size",
    label: "test size",
    help: "test images measured at each epoch (0: none)",
  }),
  batchSize: field<number>({
    rule: integer(1, 60000),
    default: d.batchSize,
    defaultText: String(d.batchSize),
    flag: "batch-size",
    label: "batch size",
    help: "images per step, drawn with replacement; at most trainSize",
  }),
  learningRate: field<number>({
    rule: number(0, 1000, true),
    default: d.learningRate,
    defaultText: String(d.learningRate),
    flag: "lr",
    label: "learning rate",
    help: "the optimizer's learning rate",
  }),
  hiddenSizes: field<number[]>({
    rule: list(1, 16, integer(1, 4096)),
    default: [...d.hiddenSizes],
    defaultText: `\`[${d.hiddenSizes.join(",")}]\``,
    flag: "hidden",
    label: "hidden sizes",
    help: "units of each hidden layer",
  }),
  activation: field<Activation>({
    rule: choice(ACTIVATIONS),
    default: d.activation,
    defaultText: `\`${d.activation}\``,
    flag: "activation",
    label: "activation",
    help: "activation of the hidden layers",
  }),
  optimizer: field<OptimizerKind>({
    rule: choice(OPTIMIZER_KINDS),
    default: d.optimizer,
    defaultText: `\`${d.optimizer}\``,
    flag: "optimizer",
    label: "optimizer",
    help: "update rule (the book's chapter 6)",
  }),
  weightDecay: field<number>({
    rule: number(0, 1000),
    default: d.weightDecay,
    defaultText: String(d.weightDecay),
    flag: "weight-decay",
    label: "weight decay",
    help: "L2 penalty λ on the weights",
  }),
  dropout: field<number>({
    rule: number(0, 0.99),
    default: d.dropout,
    defaultText: String(d.dropout),
    flag: "dropout",
    label: "dropout",
    help: "dropout ratio after each hidden activation (0: none)",
  }),
  trials: field<number>({
    rule: integer(1, MAX_TRIALS),
    default: 100,
    defaultText: "100",
    flag: "trials",
    label: "trials",
    help: "trials of the randomSearch study (the book's space: weight decay 10^uniform(-4,-8), then learning rate 10^uniform(-2,-6))",
  }),
  search: field<Search | null>({
    rule: { kind: "search", fields: SEARCH_FIELDS, maxTrials: MAX_TRIALS, log10Bound: LOG10_BOUND },
    default: null,
    defaultText: "none",
    flag: "search",
    label: "search",
    help: 'random search as JSON: {"trials":N,"space":{"learningRate":{"log10Uniform":[-2,-6]},"optimizer":{"choice":["sgd","adam"]}}}, drawn in that order',
  }),
  halving: field<Halving | null>({
    rule: { kind: "halving", maxRungs: MAX_RUNGS },
    default: null,
    defaultText: "none",
    flag: "halving",
    label: "halving",
    help: 'successive halving of a search\'s trials as JSON: {"rungs":[5,15],"keep":0.5}: at each rung (epochs) the best half by held-out accuracy goes on, the rest stop',
  }),
  grid: field<Partial<Record<GridField, unknown[]>>>({
    rule: { kind: "grid", fields: GRID_FIELDS, maxValues: 16 },
    default: {},
    defaultText: "`{}`",
    flag: "grid",
    label: "grid",
    help: "more fields to sweep, each with its values (field=v1,v2; list values split by /); every combination runs",
  }),
} as const;

/** A field's name. */
export type FieldName = keyof typeof SWEEP_FIELDS;

/** Fields every study uses. */
const SHARED_FIELDS = [
  "study",
  "seed",
  "repeats",
  "trainSize",
  "batchSize",
  "hiddenSizes",
  "activation",
  "grid",
  "search",
] as const;

/**
 * The fields each study uses; a request that gives another is refused, naming it. The studies
 * other than batchNorm have no weight scales (their networks' initialisation is the study's) and
 * are always seeded the book's way.
 */
export const STUDY_FIELDS: Record<Study, readonly FieldName[]> = {
  batchNorm: [
    ...SHARED_FIELDS,
    "weightScales",
    "epochs",
    "seeding",
    "testSize",
    "learningRate",
    "optimizer",
    "weightDecay",
    "dropout",
    "halving",
  ],
  optimizers: [...SHARED_FIELDS, "iterations"],
  weightInit: [...SHARED_FIELDS, "iterations", "learningRate"],
  weightDecay: [...SHARED_FIELDS, "epochs", "testSize", "learningRate", "optimizer", "weightDecay", "dropout", "halving"],
  dropout: [...SHARED_FIELDS, "epochs", "testSize", "learningRate", "optimizer", "weightDecay", "dropout", "halving"],
  randomSearch: [...SHARED_FIELDS, "epochs", "trials", "learningRate", "optimizer", "weightDecay", "dropout", "halving"],
};

/** The type of field `F`'s values, from the schema. */
export type FieldValue<F extends FieldName> = (typeof SWEEP_FIELDS)[F] extends FieldSpec<infer T> ? T : never;

/** Every field's name, in order. */
export const FIELD_NAMES = Object.keys(SWEEP_FIELDS) as FieldName[];

/** A rule as the API states it after the field's name: "must be an integer from 1 to 1000". */
export function ruleMessage(rule: FieldRule): string {
  switch (rule.kind) {
    case "integer":
      return `must be an integer from ${rule.min} to ${rule.max}`;
    case "number":
      return `must be a number ${rule.minExclusive ? "above" : "from"} ${rule.min}${rule.max === undefined ? "" : ` up to ${rule.max}`}`;
    case "choice":
      return `must be one of ${rule.choices.join(", ")}`;
    case "list":
      return `must be an array of ${rule.minLength} to ${rule.maxLength} entries`;
    case "grid":
      return `must be an object whose keys are among ${rule.fields.join(", ")}, each an array of 1 to ${rule.maxValues} values`;
    case "search":
      return `must be {"trials": 1 to ${rule.maxTrials}, "space": {field: {"log10Uniform": [a, b]} | {"uniform": [a, b]} | {"choice": [values]}}} with fields among ${rule.fields.join(", ")} and log10Uniform's ends within ±${rule.log10Bound}`;
    case "halving":
      return `must be {"rungs": 1 to ${rule.maxRungs} epoch counts, ascending, each below epochs, "keep": a fraction above 0 and below 1}`;
  }
}

/** A rule in the README's words: "integer 1–1000". */
export function ruleSummary(rule: FieldRule): string {
  switch (rule.kind) {
    case "integer":
      return `integer ${rule.min}–${rule.max === 0xffffffff ? "2³²−1" : rule.max}`;
    case "number":
      return rule.max === undefined
        ? `number ${rule.minExclusive ? ">" : "≥"} ${rule.min}`
        : `number ${rule.min}${rule.minExclusive ? " (excluded)" : ""}–${rule.max}`;
    case "choice":
      return rule.choices.map((c) => `\`${c}\``).join(", ");
    case "list":
      return `${rule.minLength}–${rule.maxLength} of: ${ruleSummary(rule.item)}`;
    case "grid":
      return `{field: 1–${rule.maxValues} values} for ${rule.fields.map((f) => `\`${f}\``).join(", ")}; each value by its field's rule`;
    case "search":
      return `{trials: 1–${rule.maxTrials}, space: {field: log10Uniform/uniform [a, b] or choice [...]}} for ${rule.fields.map((f) => `\`${f}\``).join(", ")}`;
    case "halving":
      return `{rungs: 1–${rule.maxRungs} ascending epochs below \`epochs\`, keep: fraction in (0, 1)}; needs a search`;
  }
}
