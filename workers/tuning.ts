/**
 * The tuning variables (`[vars]` in wrangler.toml): each with its default and the range it must
 * lie in, checked where it is read. Plain TypeScript, so the README's table can be tested in Node.
 */

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
  MAX_RESULT_POINTS: { default: 262_144, min: 1, max: 1e6, integer: true },
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
export function tuningText(n: number): string {
  return n >= 1e5 ? n.toExponential().replace("e+", "e") : String(n);
}

/** A tuning value from the environment, or its default; a value outside its range throws naming it. */
export function tuning(env: { readonly [K in TuningName]?: string }, name: TuningName): number {
  const rule: TuningRule = TUNING[name];
  const raw = env[name];
  if (raw === undefined || raw === "") return rule.default;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < rule.min || v > rule.max || (rule.integer && !Number.isInteger(v))) {
    throw new TuningError(
      `${name} is "${raw}"; it must be ${rule.integer ? "an integer" : "a number"} from ${tuningText(rule.min)} to ${tuningText(rule.max)} (wrangler.toml [vars]; default ${tuningText(rule.default)})`,
    );
  }
  return v;
}
