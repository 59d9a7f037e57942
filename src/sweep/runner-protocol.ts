/** What a coordinator and its runners say to each other over RPC. */

import type { ExperimentConfig } from "../experiment/config";
import type { AccuracyLists } from "../experiment/experiment";

/** What a runner is asked to do. */
export interface RunnerSpec {
  sweepId: string;
  index: number;
  config: ExperimentConfig;
  /** Successive halving: pause after this many points, checkpoint kept, until told to go on (absent: run to the end). */
  pauseAt?: number;
}

/**
 * What a runner tells its coordinator: progress after a slice (the lists so far), a failed slice
 * it will retry, a pause at its spec's `pauseAt`, or the experiment's end. Reports are idempotent:
 * a report with fewer epochs than the coordinator holds changes nothing, nor does one sent towards
 * an earlier rung than the coordinator's (`pauseAt`, with successive halving).
 */
export type RunnerReport = (
  | { status: "running" | "completed" | "paused"; epochsDone: number; lists: AccuracyLists; runner?: string }
  | { status: "retrying" | "failed"; error: string }
) & { pauseAt?: number };

/** The coordinator's answer: `ok` (taken; a final report is acknowledged) or `stop` (sweep gone or cancelled). */
export type ReportAnswer = "ok" | "stop";

/**
 * What a watchdog's kick found: a sleeping runner woken, a finished one reporting its end again,
 * one with a slice scheduled (busy), or one that holds nothing (lost: it must be started again).
 */
export type KickResult = "restarted" | "reporting" | "busy" | "lost";
