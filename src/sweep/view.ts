/** What the API answers about a sweep: the contract shared by the Worker, the CLI and the dashboard. */

import type { AccuracyLists } from "../experiment/experiment";
import { effectiveSearch, type GridValues, gridCombinations, type SweepConfig } from "./config";

/** What a sweep id looks like (32 hex digits); anything else is no sweep, and never part of a path. */
export const SWEEP_ID = /^[0-9a-f]{32}$/;

/** Statuses after which a sweep changes no more (but for a retried experiment). */
export const FINAL_SWEEP_STATUSES = ["completed", "partial", "failed", "cancelled"] as const;
/** Statuses after which an experiment changes no more (but for a retry). */
export const FINAL_EXPERIMENT_STATUSES = ["completed", "failed", "cancelled"] as const;
/** Statuses of an experiment that is not final: waiting for a runner, running, or paused at a rung of successive halving. */
export const OPEN_EXPERIMENT_STATUSES = ["queued", "running", "paused"] as const;

/** A sweep's status. */
export type SweepStatus = "queued" | "running" | (typeof FINAL_SWEEP_STATUSES)[number];
/** An experiment's status. */
export type ExperimentStatus = (typeof OPEN_EXPERIMENT_STATUSES)[number] | (typeof FINAL_EXPERIMENT_STATUSES)[number];

/** Whether a sweep's status is final. */
export function isFinalSweep(status: SweepStatus): boolean {
  return (FINAL_SWEEP_STATUSES as readonly SweepStatus[]).includes(status);
}

/** Whether an experiment's status is final. */
export function isFinalExperiment(status: ExperimentStatus): boolean {
  return (FINAL_EXPERIMENT_STATUSES as readonly ExperimentStatus[]).includes(status);
}

export type { AccuracyLists };

/**
 * One experiment of a sweep, with its lists growing while it runs: the Batch Norm study's `plain`
 * and `batchNorm` (left out of the other studies' experiments), or the study's own.
 */
export interface ExperimentView
  extends Omit<AccuracyLists, "plain" | "batchNorm">,
    Partial<Pick<AccuracyLists, "plain" | "batchNorm">> {
  index: number;
  /** null in a study without weight scales (its networks are initialised the study's way). */
  weightScale: number | null;
  seed: number;
  repeat: number;
  /** The grid combination (index into gridCombinations(config.grid)), and its values. */
  combination: number;
  grid: GridValues;
  status: ExperimentStatus;
  epochsDone: number;
  /** A search's trial (its index); the values it drew are given beside it, e.g. learningRate, and as `grid`. */
  trial?: number;
  learningRate?: number;
  weightDecay?: number;
  dropout?: number;
  optimizer?: string;
  activation?: string;
  error?: string;
  /** Successive halving stopped it at a rung: its lists end there, a prefix of its full run. */
  stopped?: true;
  /** The worker (process, locally) whose runner last reported. */
  runner?: string;
}

/** A sweep as `GET /api/sweeps/:id` gives it. */
export interface SweepView {
  id: string;
  status: SweepStatus;
  config: SweepConfig;
  createdAt: string;
  completedAt?: string;
  /** Why queued experiments wait: the deployment's limit of running experiments (MAX_RUNNING_EXPERIMENTS). */
  waiting?: string;
  experiments: ExperimentView[];
}

/** A sweep as `GET /api/sweeps` lists it. */
export interface SweepSummary {
  id: string;
  status: SweepStatus;
  createdAt: string;
  completedAt?: string;
  experiments: number;
}

/** Sweeps a comparison may overlay. */
export const MAX_COMPARED = 4;

/** A sweep's entry in the list of sweeps. */
export function summaryOf(view: SweepView): SweepSummary {
  const summary: SweepSummary = {
    id: view.id,
    status: view.status,
    createdAt: view.createdAt,
    experiments: view.experiments.length,
  };
  if (view.completedAt) summary.completedAt = view.completedAt;
  return summary;
}

/** Where a sweep's representations are served. */
export function sweepLinks(id: string): { self: string; csv: string; plot: string; summary: string; live: string } {
  const base = `/api/sweeps/${id}`;
  return {
    self: base,
    csv: `${base}/results.csv`,
    plot: `${base}/plot.svg`,
    summary: `${base}/summary.svg`,
    live: `${base}/live`,
  };
}

/** The status a sweep ends with once every experiment is final. */
export function finalSweepStatus(experiments: readonly Pick<ExperimentView, "status">[]): SweepStatus {
  const completed = experiments.filter((e) => e.status === "completed").length;
  if (experiments.some((e) => e.status === "cancelled")) return "cancelled";
  if (completed === experiments.length) return "completed";
  return completed === 0 ? "failed" : "partial";
}

/** Epochs done over all of a sweep's experiments: with its status and end, what tells two final records apart. */
export function totalEpochsDone(view: Pick<SweepView, "experiments">): number {
  return view.experiments.reduce((sum, e) => sum + e.epochsDone, 0);
}

/**
 * The experiments of grid combination `combination` at the sweep's `s`-th weight scale, one per
 * repeat: each experiment's combination and repeat say where it belongs, and within them the
 * scales come in the order of their indices.
 */
export function experimentsAt(view: Pick<SweepView, "experiments">, combination: number, s: number): ExperimentView[] {
  const groups = new Map<number, ExperimentView[]>();
  for (const e of view.experiments) {
    if ((e.combination ?? 0) !== combination) continue;
    const group = groups.get(e.repeat) ?? [];
    group.push(e);
    groups.set(e.repeat, group);
  }
  return [...groups.keys()]
    .sort((a, b) => a - b)
    .flatMap((repeat) => {
      const group = (groups.get(repeat) ?? []).sort((a, b) => a.index - b.index);
      return group[s] ? [group[s]] : [];
    });
}

/** An experiment's status as the CLI and the dashboard show it: a trial stopped by successive halving says so. */
export function statusText(e: Pick<ExperimentView, "status" | "stopped">): string {
  return e.stopped ? `${e.status} (stopped at a rung)` : e.status;
}

/** Whether a sweep is the Batch Norm study (one stored before studies existed is). */
export function isBatchNormStudy(view: SweepView): boolean {
  return (view.config.study ?? "batchNorm") === "batchNorm";
}

/** The sweep's combinations in order with their values: the grid's, or a search's trials (repeat after repeat) as drawn. */
export function sweepCombinations(view: SweepView): GridValues[] {
  if (!effectiveSearch(view.config)) return gridCombinations(view.config.grid ?? {});
  const out: GridValues[] = [];
  for (const e of view.experiments) out[e.combination] ??= e.grid;
  return out;
}
