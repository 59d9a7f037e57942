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

/**
 * The runner of experiment `index` of sweep `sweepId`, on runner process `shard`: with
 * RUNNER_SHARDS = K (local runs on K processes) the coordinator places each experiment on one of
 * them as it starts; deployed there is one namespace.
 */
export function runnerOf(env: Env, sweepId: string, index: number, shard: number) {
  const namespace = (runnerShards(env) > 1 ? env[`RUNNERS_${shard}`] : undefined) ?? env.RUNNERS;
  return namespace.get(namespace.idFromName(runnerName(sweepId, index)));
}

/** Runner processes experiments are placed on: RUNNER_SHARDS locally, else 1. */
export function runnerShards(env: Pick<Env, "RUNNER_SHARDS">): number {
  const shards = Number(env.RUNNER_SHARDS ?? "1");
  return Number.isInteger(shards) && shards > 1 ? shards : 1;
}

/** The deployment's one Quota object (spending limit). */
export function quotaOf(env: Pick<Env, "QUOTA">) {
  return env.QUOTA.get(env.QUOTA.idFromName("quota"));
}
