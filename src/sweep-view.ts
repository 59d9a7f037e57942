/** What the API answers about a sweep: the contract shared by the Worker, the CLI and the dashboard. */

import type { SweepConfig } from "./sweep-config";

/** A sweep's status; the last four are final. */
export type SweepStatus = "queued" | "running" | "completed" | "partial" | "failed" | "cancelled";
/** An experiment's status; the last three are final. */
export type ExperimentStatus = "queued" | "running" | "completed" | "failed" | "cancelled";

/** Statuses after which a sweep changes no more (but for a retried experiment). */
export const FINAL_SWEEP_STATUSES: readonly SweepStatus[] = ["completed", "partial", "failed", "cancelled"];
/** Statuses after which an experiment changes no more (but for a retry). */
export const FINAL_EXPERIMENT_STATUSES: readonly ExperimentStatus[] = ["completed", "failed", "cancelled"];

/** Accuracy lists of an experiment so far. */
export interface AccuracyLists {
  plain: number[];
  batchNorm: number[];
  testPlain?: number[];
  testBatchNorm?: number[];
}

/** One experiment of a sweep, with its lists growing while it runs. */
export interface ExperimentView extends AccuracyLists {
  index: number;
  weightScale: number;
  seed: number;
  repeat: number;
  status: ExperimentStatus;
  epochsDone: number;
  error?: string;
}

/** A sweep as `GET /api/sweeps/:id` gives it. */
export interface SweepView {
  id: string;
  status: SweepStatus;
  config: SweepConfig;
  createdAt: string;
  completedAt?: string;
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

/** The status a sweep ends with once every experiment is final. */
export function finalSweepStatus(experiments: readonly Pick<ExperimentView, "status">[]): SweepStatus {
  const completed = experiments.filter((e) => e.status === "completed").length;
  if (experiments.some((e) => e.status === "cancelled")) return "cancelled";
  if (completed === experiments.length) return "completed";
  return completed === 0 ? "failed" : "partial";
}
