/** The bindings of the Worker and its Durable Objects (see wrangler.toml). */

import type { ExperimentRunner } from "./experiment-runner";
import type { SweepCoordinator } from "./sweep-coordinator";

/** Bindings, secrets and tuning variables. Tuning values are strings, as `[vars]` gives them. */
export interface Env {
  SWEEPS: DurableObjectNamespace<SweepCoordinator>;
  RUNNERS: DurableObjectNamespace<ExperimentRunner>;
  /**
   * Local multi-process runs only (scripts/local-runners.ts): RUNNERS_0 … RUNNERS_{K−1} reach the
   * runner classes of K other `wrangler dev` processes; RUNNER_SHARDS is K.
   */
  [shard: `RUNNERS_${number}`]: DurableObjectNamespace<ExperimentRunner> | undefined;
  RUNNER_SHARDS?: string;
  /** The name of the worker this code runs as, reported by runners so a view shows where each ran. */
  WORKER_NAME?: string;
  RESULTS: KVNamespace;
  ASSETS: Fetcher;
  /** Starting, cancelling and retrying need `Authorization: Bearer <token>`. */
  SWEEP_TOKEN?: string;
  /** "true": without SWEEP_TOKEN, anyone may start, cancel and retry (local scripts set it on the loopback). */
  ALLOW_OPEN_SERVER?: string;
  /** Multiply-adds a runner does per alarm slice. */
  SLICE_WORK?: string;
  /** Experiments a sweep runs at once. */
  MAX_PARALLEL_RUNNERS?: string;
  /** A runner silent this long is woken by the coordinator's watchdog. */
  WATCHDOG_STALL_MS?: string;
  /** How often the coordinator's watchdog looks. */
  WATCHDOG_INTERVAL_MS?: string;
  /** Failed slices (thrown, or isolate resets) or watchdog restarts after which an experiment ends failed. */
  MAX_SLICE_FAILURES?: string;
  /** First retry delay after a failed slice; doubles with each failure. */
  RETRY_BASE_MS?: string;
  /** Admission: an experiment's estimated peak memory, in MB (the isolate has 128 MB). */
  MAX_EXPERIMENT_MEMORY_MB?: string;
  /** Admission: multiply-adds of the costliest single iteration (one slice must hold it within limits.cpu_ms). */
  MAX_SLICE_WORK?: string;
  /** Admission: multiply-adds of a whole sweep (the deployment's work budget). */
  MAX_SWEEP_WORK?: string;
}

/** Tuning defaults, for when `[vars]` leaves a value out. */
export const TUNING_DEFAULTS = {
  SLICE_WORK: 3e9,
  MAX_PARALLEL_RUNNERS: 256,
  WATCHDOG_STALL_MS: 120_000,
  WATCHDOG_INTERVAL_MS: 30_000,
  MAX_SLICE_FAILURES: 5,
  RETRY_BASE_MS: 1000,
  MAX_EXPERIMENT_MEMORY_MB: 96,
  MAX_SLICE_WORK: 1.5e10,
  MAX_SWEEP_WORK: 1e14,
} as const;

/** A tuning value from the environment, or its default. */
export function tuning(env: Env, name: keyof typeof TUNING_DEFAULTS): number {
  const raw = env[name];
  const v = raw === undefined || raw === "" ? Number.NaN : Number(raw);
  return Number.isFinite(v) && v >= 0 ? v : TUNING_DEFAULTS[name];
}
