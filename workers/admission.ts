/**
 * Admission: what a sweep will cost, and the refusal of what the platform cannot run, before
 * anything is stored. Each experiment's peak memory must fit the isolate's budget, its costliest
 * iteration one slice's CPU budget, and the whole sweep the deployment's work budget.
 */

import {
  EXPERIMENT_DEFAULTS,
  type ExperimentConfig,
  experimentDrawWords,
  memoryEstimate,
  peakIterationWork,
  rowForwardWork,
  studyIterations,
  studyListCount,
  studyMeasure,
  studyPoints,
  totalWork,
} from "../src/experiment";
import {
  effectiveSearch,
  experimentCount,
  type GridField,
  type SweepConfig,
  SweepConfigError,
  sweepExperiments,
} from "../src/sweep";
import { halvingPoints, trialEnds, trialsPerRung } from "../src/sweep/halving";
import { costliestDraws } from "../src/sweep/search";
import { type Env, tuning } from "./env";
import { durableObjectCost, PRICES_AS_OF } from "./pricing";
import { sliceIterations } from "./slice-plan";

/**
 * Multiply-adds per CPU-second assumed for time and cost: about a third of what the engine does on
 * the machines it was measured on (README, Performance), so estimates err high.
 */
export const MACS_PER_CPU_SECOND = 1e9;

/**
 * Random words the coordinator may draw to plan a sweep seeded the book's way (it steps the stream
 * past every experiment's draws before starting them): about 5 s of its CPU at the ~10 ns a word
 * measured; the book's sweep draws 1e7, 256 default experiments 1.6e8.
 */
export const MAX_PLANNING_WORDS = 5e8;

/** What `POST /api/sweeps?dryRun=1` answers. */
export interface SweepEstimate {
  experiments: number;
  /** Multiply-adds of the whole sweep. */
  multiplyAdds: number;
  /** Peak memory of the largest experiment, bytes. */
  peakMemoryBytes: number;
  /** Alarm slices of all experiments. */
  slices: number;
  /** Random words drawn to plan `seeding: "book"` (0 for the default seeding). */
  planningWords: number;
  cpuSeconds: number;
  costUsd: number;
  pricesAsOf: string;
  limits: { memoryBytes: number; sliceMultiplyAdds: number; sweepMultiplyAdds: number; resultPoints: number };
  /** With successive halving: the trials entering each rung and the end, and what stopping the others saves (counted above). */
  halving?: HalvingEstimate;
}

/** What successive halving runs of a sweep, against the same sweep without it. */
export interface HalvingEstimate {
  /** Trials of each group (a repeat at a weight scale) entering each rung, then the end. */
  trialsPerRung: number[];
  /** Points (epochs) run by all of the sweep's trials, with halving and without. */
  epochs: number;
  epochsWithout: number;
  multiplyAddsWithout: number;
  /** The share of the multiply-adds halving saves. */
  workSaved: number;
}

type Planned = { config: ExperimentConfig; combination: number };

/**
 * What a sweep's experiments cost, summed (`cost` of each config): in a halving sweep, in each
 * group the trials stopped at a rung cost that many epochs' run, those kept past the last rung the
 * whole run's. A group's trials have one shape (their costliest draws), so its first trial stands
 * for them. Also the halving's figures for the estimate.
 */
function sweepCost(
  config: SweepConfig,
  experiments: Planned[],
  cost: (c: ExperimentConfig) => number,
): { total: number; halving?: Omit<HalvingEstimate, "multiplyAddsWithout" | "workSaved"> } {
  const trials = effectiveSearch(config)?.trials;
  if (!config.halving || trials === undefined) return { total: experiments.reduce((sum, e) => sum + cost(e.config), 0) };
  const ends = trialEnds(trials, config.halving, studyPoints(config));
  let total = 0;
  for (const e of experiments) {
    if (e.combination % trials !== 0) continue;
    for (const end of ends) total += end.trials * cost({ ...e.config, epochs: end.points });
  }
  const groups = experiments.length / trials;
  const { run, full } = halvingPoints(trials, config.halving, studyPoints(config));
  return {
    total,
    halving: { trialsPerRung: trialsPerRung(trials, config.halving), epochs: run * groups, epochsWithout: full * groups },
  };
}

/** The halving's figures with the work it saves against the sweep without it. */
function halvingEstimate(
  figures: Omit<HalvingEstimate, "multiplyAddsWithout" | "workSaved">,
  multiplyAdds: number,
  experiments: Planned[],
): HalvingEstimate {
  const multiplyAddsWithout = experiments.reduce((sum, e) => sum + totalWork(e.config), 0);
  return { ...figures, multiplyAddsWithout, workSaved: 1 - multiplyAdds / multiplyAddsWithout };
}

/** The field that drives a cost the most: the largest of hidden sizes, batch or train size. */
function costDriver(config: ExperimentConfig): keyof ExperimentConfig {
  const hidden = Math.max(...config.hiddenSizes);
  if (hidden * hidden >= config.batchSize * hidden && hidden >= 1024) return "hiddenSizes";
  return config.batchSize >= config.trainSize / 10 ? "batchSize" : "trainSize";
}

/**
 * Accuracies a sweep's result holds: experiments × epochs × lists (train, and test with testSize).
 * Capped so that the largest view, and four of them in a comparison, fit well inside an isolate.
 */
export function resultPoints(config: SweepConfig): number {
  return experimentCount(config) * studyPoints(config) * studyListCount(config);
}

/** What a study's points are counted in. */
function pointsName(config: SweepConfig): "iterations" | "epochs" {
  return studyMeasure(config.study) === "loss" ? "iterations" : "epochs";
}

/** The field that makes a result too large: its length per list when that is over the book's, else the experiments'. */
function pointsField(config: SweepConfig, experiments: number, limit: number): string {
  const long =
    studyPoints(config) * experiments > limit / 4 && studyPoints(config) > (pointsName(config) === "epochs" ? 20 : 2000);
  if (long) return pointsName(config);
  return config.study === "batchNorm" ? "weightScales" : "repeats";
}

/** `field`, or `grid.field[i]` when the experiment took that field's value from the grid. */
function inGrid(config: SweepConfig, experiment: ExperimentConfig, field: string): string {
  const values = config.grid[field as GridField] as unknown[] | undefined;
  if (!values) return field;
  const index = values.findIndex((v) => JSON.stringify(v) === JSON.stringify(experiment[field as keyof ExperimentConfig]));
  return `grid.${field}[${index}]`;
}

function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

/** The sweep's estimate; throws a {@link SweepConfigError} naming the driving field when over a limit. */
export function admit(config: SweepConfig, env: Env): SweepEstimate {
  const limits = {
    memoryBytes: tuning(env, "MAX_EXPERIMENT_MEMORY_MB") * 2 ** 20,
    sliceMultiplyAdds: tuning(env, "MAX_SLICE_WORK"),
    sweepMultiplyAdds: tuning(env, "MAX_SWEEP_WORK"),
    resultPoints: tuning(env, "MAX_RESULT_POINTS"),
  };
  // A search's values are drawn when the sweep is planned: its costliest draws stand for them here.
  const costliest = costliestDraws(effectiveSearch(config));
  const experiments = sweepExperiments(config).map((e) => ({ ...e, config: { ...e.config, ...costliest } }));
  // One experiment per grid combination stands for its scales and repeats (same shape and work).
  const shapes = experiments.filter((e) => e.repeat === 0 && e.scale === 0);
  const worst = (measure: (c: ExperimentConfig) => number) =>
    shapes.reduce((a, b) => (measure(b.config) > measure(a.config) ? b : a));
  const points = resultPoints(config);
  if (points > limits.resultPoints) {
    throw new SweepConfigError(
      pointsField(config, experiments.length, limits.resultPoints),
      `makes the result ${points} points (${experiments.length} experiments × ${studyPoints(config)} ${pointsName(config)} × ${studyListCount(config)} lists); this server's limit (MAX_RESULT_POINTS) is ${limits.resultPoints}`,
    );
  }
  const memoryWorst = worst((c) => memoryEstimate(c).total);
  const memory = memoryEstimate(memoryWorst.config);
  if (memory.total > limits.memoryBytes) {
    const field = memoryWorst.config.hiddenSizes.some((h) => h > 1024) ? "hiddenSizes" : costDriver(memoryWorst.config);
    throw new SweepConfigError(
      inGrid(config, memoryWorst.config, field),
      `makes each experiment need about ${mb(memory.total)} (weights ${mb(memory.parameters + memory.optimizer)}, activations ${mb(memory.activations + memory.input)}, data ${mb(memory.dataset + memory.datasetLoad)}); the limit is ${mb(limits.memoryBytes)}`,
    );
  }
  const peakWorst = worst(peakIterationWork);
  const peak = peakIterationWork(peakWorst.config);
  if (peak > limits.sliceMultiplyAdds) {
    throw new SweepConfigError(
      inGrid(config, peakWorst.config, costDriver(peakWorst.config)),
      `makes one iteration (a step and an evaluation) about ${peak.toExponential(2)} multiply-adds; one slice may do ${limits.sliceMultiplyAdds.toExponential(2)}`,
    );
  }
  const work = sweepCost(config, experiments, totalWork);
  const multiplyAdds = work.total;
  if (multiplyAdds > limits.sweepMultiplyAdds) {
    const combinations = shapes.length;
    // The field furthest above the book's setting drives the total.
    const ratios: [string, number][] = [
      ["weightScales", config.weightScales.length / 16],
      ["repeats", config.repeats],
      ["grid", combinations],
      studyMeasure(config.study) === "loss" ? ["iterations", config.iterations / 2000] : ["epochs", config.epochs / 20],
      ["trainSize", config.trainSize / 1000],
      ["hiddenSizes", rowForwardWork(config.hiddenSizes) / rowForwardWork(EXPERIMENT_DEFAULTS.hiddenSizes)],
    ];
    const field = ratios.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
    throw new SweepConfigError(
      field,
      `makes the sweep about ${multiplyAdds.toExponential(2)} multiply-adds (${experiments.length} experiments); this server's limit (MAX_SWEEP_WORK) is ${limits.sweepMultiplyAdds.toExponential(2)}`,
    );
  }
  const planningWords = config.seeding === "book" ? experiments.reduce((sum, e) => sum + experimentDrawWords(e.config), 0) : 0;
  if (planningWords > MAX_PLANNING_WORDS) {
    const planWorst = worst(experimentDrawWords);
    const wide = rowForwardWork(planWorst.config.hiddenSizes) > rowForwardWork(EXPERIMENT_DEFAULTS.hiddenSizes) * 4;
    const field = wide ? inGrid(config, planWorst.config, "hiddenSizes") : "seeding";
    throw new SweepConfigError(
      field,
      `${field === "seeding" ? '"book"' : 'with seeding "book"'} makes planning draw about ${planningWords.toExponential(2)} random words (every experiment's draws, stepped in order); the limit is ${MAX_PLANNING_WORDS.toExponential(2)}: use fewer experiments or epochs, smaller hidden layers or batches, or the default seeding`,
    );
  }
  const sliceCount = (c: ExperimentConfig) => Math.ceil(studyIterations(c) / sliceIterations(c, tuning(env, "SLICE_WORK")));
  const slices = sweepCost(config, experiments, sliceCount).total;
  const cpuSeconds = multiplyAdds / MACS_PER_CPU_SECOND;
  // Each slice is an alarm and a report to the coordinator.
  const costUsd = durableObjectCost(cpuSeconds, 2 * slices);
  return {
    experiments: experiments.length,
    multiplyAdds,
    peakMemoryBytes: memory.total,
    slices,
    planningWords,
    cpuSeconds,
    costUsd,
    pricesAsOf: PRICES_AS_OF,
    limits,
    ...(work.halving ? { halving: halvingEstimate(work.halving, multiplyAdds, experiments) } : {}),
  };
}
