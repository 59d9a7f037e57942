/**
 * Admission: what a sweep will cost, and the refusal of what the platform cannot run, before
 * anything is stored. Each experiment's peak memory must fit the isolate's budget, its costliest
 * iteration one slice's CPU budget, and the whole sweep the deployment's work budget.
 */

import { itersPerEpoch, memoryEstimate, peakIterationWork, totalWork } from "../src/experiment";
import { type SweepConfig, SweepConfigError, sweepExperiments } from "../src/sweep";
import { type Env, tuning } from "./env";
import { durableObjectCost, PRICES_AS_OF } from "./pricing";
import { sliceIterations } from "./slice-plan";

/**
 * Multiply-adds per CPU-second assumed for time and cost: about a third of what the engine does on
 * the machines it was measured on (README, Performance), so estimates err high.
 */
export const MACS_PER_CPU_SECOND = 1e9;

/** What `POST /api/sweeps?dryRun=1` answers. */
export interface SweepEstimate {
  experiments: number;
  /** Multiply-adds of the whole sweep. */
  multiplyAdds: number;
  /** Peak memory of the largest experiment, bytes. */
  peakMemoryBytes: number;
  /** Alarm slices of all experiments. */
  slices: number;
  cpuSeconds: number;
  costUsd: number;
  pricesAsOf: string;
  limits: { memoryBytes: number; sliceMultiplyAdds: number; sweepMultiplyAdds: number };
}

/** The field that drives a cost the most: the largest of hidden sizes, batch or train size. */
function costDriver(config: SweepConfig): keyof SweepConfig {
  const hidden = Math.max(...config.hiddenSizes);
  if (hidden * hidden >= config.batchSize * hidden && hidden >= 1024) return "hiddenSizes";
  return config.batchSize >= config.trainSize / 10 ? "batchSize" : "trainSize";
}

/** Multiply-adds of one row through the hidden layers' products. */
function rowWork({ hiddenSizes }: Pick<SweepConfig, "hiddenSizes">): number {
  return [784, ...hiddenSizes, 10].reduce((sum, size, l, sizes) => sum + (l > 0 ? sizes[l - 1] * size : 0), 0);
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
  };
  const experiments = sweepExperiments(config).map((e) => e.config);
  // Every experiment of a sweep has the same shape but its scale and seed: the first stands for all.
  const first = experiments[0];
  const memory = memoryEstimate(first);
  if (memory.total > limits.memoryBytes) {
    const field = config.hiddenSizes.some((h) => h > 1024) ? "hiddenSizes" : costDriver(config);
    throw new SweepConfigError(
      field,
      `makes each experiment need about ${mb(memory.total)} (weights ${mb(memory.parameters + memory.optimizer)}, activations ${mb(memory.activations + memory.input)}, data ${mb(memory.dataset)}); the limit is ${mb(limits.memoryBytes)}`,
    );
  }
  const peak = peakIterationWork(first);
  if (peak > limits.sliceMultiplyAdds) {
    throw new SweepConfigError(
      costDriver(config),
      `makes one iteration (a step and an evaluation) about ${peak.toExponential(2)} multiply-adds; one slice may do ${limits.sliceMultiplyAdds.toExponential(2)}`,
    );
  }
  const multiplyAdds = totalWork(first) * experiments.length;
  if (multiplyAdds > limits.sweepMultiplyAdds) {
    // The field furthest above the book's setting drives the total.
    const ratios: [keyof SweepConfig, number][] = [
      ["weightScales", config.weightScales.length / 16],
      ["repeats", config.repeats],
      ["epochs", config.epochs / 20],
      ["trainSize", config.trainSize / 1000],
      ["hiddenSizes", rowWork(config) / rowWork({ hiddenSizes: [100, 100, 100, 100, 100] })],
    ];
    const field = ratios.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
    throw new SweepConfigError(
      field,
      `makes the sweep about ${multiplyAdds.toExponential(2)} multiply-adds (${experiments.length} experiments); this server's limit (MAX_SWEEP_WORK) is ${limits.sweepMultiplyAdds.toExponential(2)}`,
    );
  }
  const iterations = (first.epochs - 1) * itersPerEpoch(first) + 1;
  const slices = experiments.length * Math.ceil(iterations / sliceIterations(first, tuning(env, "SLICE_WORK")));
  const cpuSeconds = multiplyAdds / MACS_PER_CPU_SECOND;
  // Each slice is an alarm and a report to the coordinator.
  const costUsd = durableObjectCost(cpuSeconds, 2 * slices);
  return {
    experiments: experiments.length,
    multiplyAdds,
    peakMemoryBytes: memory.total,
    slices,
    cpuSeconds,
    costUsd,
    pricesAsOf: PRICES_AS_OF,
    limits,
  };
}
