/** Every Durable Object stub lookup of the project: a sweep's coordinator and an experiment's runner. */

import type { Env } from "./env";

/** The coordinator of sweep `sweepId`. */
export function coordinatorOf(env: Pick<Env, "SWEEPS">, sweepId: string) {
  return env.SWEEPS.get(env.SWEEPS.idFromName(sweepId));
}

/** The name of the runner of experiment `index` of a sweep. */
export function runnerName(sweepId: string, index: number): string {
  return `${sweepId}:${index}`;
}

/** The runner of experiment `index` of sweep `sweepId`. */
export function runnerOf(env: Pick<Env, "RUNNERS">, sweepId: string, index: number) {
  return env.RUNNERS.get(env.RUNNERS.idFromName(runnerName(sweepId, index)));
}
