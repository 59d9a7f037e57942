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
   * runner classes of K other `wrangler dev` processes; RUNNER_SHARDS is K.
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

/** A tuning variable: its default and the range it must lie in. */
interface TuningRule {
  default: number;
  min: number;
  max: number;
  integer?: boolean;
}

/** Tuning defaults and ranges, for when `[vars]` leaves a value out or sets a wrong one. */
export const TUNING = {
  SLICE_WORK: { default: 3e9, min: 1e5, max: 1e12 },
  MAX_PARALLEL_RUNNERS: { default: 256, min: 1, max: 256, integer: true },
  WATCHDOG_STALL_MS: { default: 120_000, min: 10, max: 86_400_000, integer: true },
  WATCHDOG_INTERVAL_MS: { default: 30_000, min: 10, max: 86_400_000, integer: true },
  MAX_SLICE_FAILURES: { default: 5, min: 1, max: 100, integer: true },
  RETRY_BASE_MS: { default: 1000, min: 1, max: 3_600_000, integer: true },
  MAX_EXPERIMENT_MEMORY_MB: { default: 96, min: 1, max: 128 },
  MAX_SLICE_WORK: { default: 1.5e10, min: 1e5, max: 1e13 },
  MAX_SWEEP_WORK: { default: 1e14, min: 1e5, max: 1e18 },
  MAX_VIEWERS_PER_SWEEP: { default: 64, min: 1, max: 10_000, integer: true },
  MAX_RESULT_POINTS: { default: 262_144, min: 1, max: 1_048_576, integer: true },
  RETAIN_DAYS: { default: 30, min: 0, max: 3650 },
  MAX_RUNNING_EXPERIMENTS: { default: 1024, min: 1, max: 1_000_000, integer: true },
  DAILY_WORK_LIMIT: { default: 1e15, min: 1e5, max: 1e20 },
} as const satisfies Record<string, TuningRule>;

/** A tuning variable's name. */
export type TuningName = keyof typeof TUNING;

/** A tuning variable set to a value outside its range: the operator's mistake, said plainly. */
export class TuningError extends Error {
  override name = "TuningError";
}

/** A number as a person writes it in wrangler.toml: 3e9, not 3000000000. */
function plain(n: number): string {
  return n >= 1e6 ? n.toExponential().replace("e+", "e") : String(n);
}

/** A tuning value from the environment, or its default; a value outside its range throws naming it. */
export function tuning(env: { readonly [K in TuningName]?: string }, name: TuningName): number {
  const rule: TuningRule = TUNING[name];
  const raw = env[name];
  if (raw === undefined || raw === "") return rule.default;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < rule.min || v > rule.max || (rule.integer && !Number.isInteger(v))) {
    throw new TuningError(
      `${name} is "${raw}"; it must be ${rule.integer ? "an integer" : "a number"} from ${plain(rule.min)} to ${plain(rule.max)} (wrangler.toml [vars]; default ${plain(rule.default)})`,
    );
  }
  return v;
}
