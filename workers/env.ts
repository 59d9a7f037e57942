/** The bindings of the Worker and its Durable Objects (see wrangler.toml). */

import type { ExperimentRunner } from "./experiment-runner";
import type { Quota } from "./quota";
import type { SweepCoordinator } from "./sweep-coordinator";

/** Bindings, secrets and tuning variables. Tuning values are strings, as `[vars]` gives them. */
export interface Env {
  SWEEPS: DurableObjectNamespace<SweepCoordinator>;
  RUNNERS: DurableObjectNamespace<ExperimentRunner>;
  /**
   * Local multi-process runs only (scripts/local-runners.ts): RUNNERS_0 … RUNNERS_{K−1} reach the
   * runner classes of K other local workerd processes; RUNNER_SHARDS is K.
   */
  [shard: `RUNNERS_${number}`]: DurableObjectNamespace<ExperimentRunner> | undefined;
  RUNNER_SHARDS?: string;
  /** The name of the worker this code runs as, reported by runners so a view shows where each ran. */
  WORKER_NAME?: string;
  /** The one object that keeps the running count and the day's work (quota.ts). */
  QUOTA: DurableObjectNamespace<Quota>;
  /** POSTs per token or address (the Workers rate-limiting binding; wrangler.toml [[ratelimits]]). */
  POST_LIMITER?: RateLimit;
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
  /** "true": with SWEEP_TOKEN set, reads (list, views, CSV, SVG, live) need no token. */
  PUBLIC_READ?: string;
  /** Open server only: host names besides the loopback's that requests may name (comma-separated). */
  ALLOWED_HOSTS?: string;
  /** Live sockets one sweep accepts at once. */
  MAX_VIEWERS_PER_SWEEP?: string;
  /** Admission: points of a sweep's result (experiments × epochs × lists). */
  MAX_RESULT_POINTS?: string;
  /** Days after a sweep ends until its failed runners' checkpoints are removed. */
  RETAIN_DAYS?: string;
  /** Experiments running at once across all sweeps; the rest wait their turn. */
  MAX_RUNNING_EXPERIMENTS?: string;
  /** Multiply-adds admitted per UTC day across all sweeps. */
  DAILY_WORK_LIMIT?: string;
}

export { TUNING, TuningError, type TuningName, tuning, tuningText } from "./tuning";
