/** The bindings of the Worker and its Durable Objects (see wrangler.toml). */

import type { ExperimentRunner } from "./experiment-runner";
import type { SweepCoordinator } from "./sweep-coordinator";

/** Bindings, secrets and tuning variables. Tuning values are strings, as `[vars]` gives them. */
export interface Env {
  SWEEPS: DurableObjectNamespace<SweepCoordinator>;
  RUNNERS: DurableObjectNamespace<ExperimentRunner>;
  RESULTS: KVNamespace;
  ASSETS: Fetcher;
  /** When set, starting, cancelling and retrying need `Authorization: Bearer <token>`. */
  SWEEP_TOKEN?: string;
  /** Multiply-adds a runner does per alarm slice. */
  SLICE_WORK?: string;
  /**
   * Experiments a sweep runs at once. All of them on Cloudflare; 1 under `wrangler dev`, where one
   * thread runs every Durable Object and back-to-back slices of many runners starve HTTP requests.
   */
  MAX_PARALLEL_RUNNERS?: string;
  /** A runner silent this long is restarted by the coordinator's watchdog. */
  WATCHDOG_STALL_MS?: string;
  /** How often the coordinator's watchdog looks. */
  WATCHDOG_INTERVAL_MS?: string;
  /** Failed slices in a row after which an experiment is reported failed. */
  MAX_SLICE_FAILURES?: string;
  /** First retry delay after a failed slice; doubles with each failure. */
  RETRY_BASE_MS?: string;
}

/** Tuning defaults, for when `[vars]` leaves a value out. */
export const TUNING_DEFAULTS = {
  SLICE_WORK: 1.5e9,
  MAX_PARALLEL_RUNNERS: 256,
  WATCHDOG_STALL_MS: 120_000,
  WATCHDOG_INTERVAL_MS: 30_000,
  MAX_SLICE_FAILURES: 5,
  RETRY_BASE_MS: 1000,
} as const;

/** A tuning value from the environment, or its default. */
export function tuning(env: Env, name: keyof typeof TUNING_DEFAULTS): number {
  const raw = env[name];
  const v = raw === undefined || raw === "" ? Number.NaN : Number(raw);
  return Number.isFinite(v) && v >= 0 ? v : TUNING_DEFAULTS[name];
}
